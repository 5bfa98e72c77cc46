"""Simulator configuration: every parameter of the simulated exchange, typed and validated.

The defaults live in `producers/config/default.toml`; `--config FILE` is merged
over them table by table, so a test profile only names what it changes (e.g.
the checkpoint cadence). Structs are msgspec-converted so a typo in a file
fails with the path of the bad key instead of being silently ignored.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import msgspec

from custodes.parties import EU_PARTIES, PARTIES
from producers.truth import SEVERITY

CONFIG_DIR = Path(__file__).parent / "config"
DEFAULT_CONFIG = CONFIG_DIR / "default.toml"
RULES: tuple[str, ...] = tuple(SEVERITY)  # the rules of SPEC §6


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the file and the key."""


Range = tuple[float, float]


class _S(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Base of the config sections; subclasses repeat `frozen=True` (inherited anyway) for mypy."""


class RunConfig(_S, frozen=True):
    start: str
    duration: str
    checkpoint_interval_s: float
    checkpoint_max_events: int
    key_id_suffix: str


class OutputConfig(_S, frozen=True):
    topic_prefix: str
    topic: str


class Rhythm(_S, frozen=True):
    hourly: list[float]
    weekly: list[float]


class TrafficConfig(_S, frozen=True):
    us_queries_per_day: float
    eu_queries_per_day: float
    us_hit_rate: float
    eu_hit_rate: float
    error_rate: float
    answer_delay_s: Range
    transfer_delay_s: Range
    officers_per_1000_daily_queries: float
    min_officers: int
    weights: dict[str, float]
    rhythm: dict[str, Rhythm]


class TransfersConfig(_S, frozen=True):
    after_hit: float
    special_category_share: float
    delete_at_fraction: Range


class RetentionConfig(_S, frozen=True):
    risk_share: float
    no_risk_share: float
    review_extra_days: Range


class OnwardConfig(_S, frozen=True):
    share: float
    grant_share: float
    request_after_s: Range
    decide_after_days: Range
    execute_after_s: Range
    third_countries: list[str]


class DecisionsConfig(_S, frozen=True):
    share: float
    adverse_share: float
    review_after_s: Range
    decide_after_review_s: Range


class RemediesConfig(_S, frozen=True):
    per_day: float
    case_share: float
    extension_share: float


class SimConfig(_S, frozen=True):
    run: RunConfig
    output: OutputConfig
    traffic: TrafficConfig
    transfers: TransfersConfig
    retention: RetentionConfig
    onward: OnwardConfig
    decisions: DecisionsConfig
    remedies: RemediesConfig
    inject: dict[str, dict[str, Any]]


class InjectionRates(msgspec.Struct, frozen=True):
    """Violation rates of one profile: `rate(rule, party)` with per-node overrides."""

    name: str
    base: dict[str, float]
    nodes: dict[str, dict[str, float]]

    def rate(self, rule: str, party: str) -> float:
        node = self.nodes.get(party)
        if node is not None and rule in node:
            return node[rule]
        return self.base.get(rule, 0.0)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load_config(path: str | Path | None = None) -> SimConfig:
    """The default configuration, with `path` (if given) merged over it."""
    doc = _read_toml(DEFAULT_CONFIG)
    origin = str(DEFAULT_CONFIG)
    if path is not None:
        doc = _merge(doc, _read_toml(Path(path)))
        origin = str(path)
    try:
        cfg = msgspec.convert(doc, SimConfig)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    _check(cfg, origin)
    return cfg


def _check(cfg: SimConfig, origin: str) -> None:
    t = cfg.traffic
    missing = sorted(set(EU_PARTIES) - set(t.weights))
    if missing:
        raise ConfigError(f"{origin}: traffic.weights lacks {', '.join(missing)}")
    for side in ("us", "eu"):
        r = t.rhythm.get(side)
        if r is None or len(r.hourly) != 24 or len(r.weekly) != 7:
            raise ConfigError(f"{origin}: traffic.rhythm.{side} needs 24 hourly and 7 weekly values")
        if min(r.hourly + r.weekly) < 0 or max(r.hourly) <= 0 or max(r.weekly) <= 0:
            raise ConfigError(f"{origin}: traffic.rhythm.{side} values must be >= 0, not all 0")
    if cfg.run.checkpoint_interval_s <= 0 or not 2 <= cfg.run.checkpoint_max_events:
        raise ConfigError(f"{origin}: run.checkpoint_interval_s > 0 and checkpoint_max_events >= 2")
    lo, hi = cfg.transfers.delete_at_fraction
    if not 0 < lo <= hi < 1:
        raise ConfigError(f"{origin}: transfers.delete_at_fraction must be within (0, 1)")
    for name, table in cfg.inject.items():
        _profile(name, table, origin)


def _profile(name: str, table: dict[str, Any], origin: str) -> InjectionRates:
    base: dict[str, float] = {}
    nodes: dict[str, dict[str, float]] = {}
    for key, value in table.items():
        if key == "nodes":
            for party, rates in value.items():
                if party not in PARTIES:
                    raise ConfigError(f"{origin}: inject.{name}.nodes.{party}: not a party (§1)")
                nodes[party] = {r: _rate(name, r, v, origin) for r, v in rates.items()}
        else:
            base[key] = _rate(name, key, value, origin)
    return InjectionRates(name=name, base=base, nodes=nodes)


def _rate(profile: str, rule: str, value: Any, origin: str) -> float:
    if rule not in RULES:
        raise ConfigError(f"{origin}: inject.{profile}: unknown rule {rule!r} (one of {', '.join(RULES)})")
    if not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ConfigError(f"{origin}: inject.{profile}.{rule}: a rate from 0 to 1, got {value!r}")
    return float(value)


def injection_profile(cfg: SimConfig, choice: str) -> InjectionRates:
    """A named profile of the config (`none`, `default`, `heavy`, ...) or a TOML file of rates.

    A file holds rule rates at top level and optional `[nodes.<PARTY>]` tables.
    """
    if choice in cfg.inject:
        return _profile(choice, cfg.inject[choice], "config")
    path = Path(choice)
    if not path.is_file():
        known = ", ".join(sorted(cfg.inject))
        raise ConfigError(f"--inject {choice!r}: neither a profile ({known}) nor a file")
    return _profile(path.stem, _read_toml(path), str(path))


def parse_duration_ms(text: str) -> int:
    """'40d', '12h', '90m', '30s' (or combined like '1d12h') → milliseconds."""
    units = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000}
    total, num = 0, ""
    for ch in text.strip():
        if ch.isdigit():
            num += ch
        elif ch in units and num:
            total += int(num) * units[ch]
            num = ""
        else:
            raise ValueError(f"not a duration like 40d, 12h, 90m or 30s: {text!r}")
    if num or total <= 0:
        raise ValueError(f"not a duration like 40d, 12h, 90m or 30s: {text!r}")
    return total
