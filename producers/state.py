"""The state directory: node keys, chain heads and the world, so a restart continues.

Layout (e.g. `.local/sim/<run>/`):
  keys/<PARTY>.key     Ed25519 private key (TOML, mode 0600), deterministic from --seed
  chains/<PARTY>.json  the node's chain head (seq, head hash and time, checkpoint cadence)
  world.json           schedule, random generator, counters, guards, recorded truth
  meta.json            what the run was started with; a resume must match it
                       (settings, and fingerprints of the config, policy and
                       injection rates, so a changed file is not resumed silently)
Files are replaced atomically, chains and world together after the sink has
flushed, so the directory always describes events that were delivered.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import msgspec
import orjson

from custodes.files import atomic_write
from custodes.policy import Policy
from custodes.signing import NodeChain, NodeKey
from producers.config import InjectionRates, SimConfig
from producers.world import World

# What a resume must share with the saved run, and how the mismatch is named.
RESUME_KEYS: tuple[tuple[str, str], ...] = (
    ("seed", "seed"), ("nodes", "nodes"), ("scale", "scale"),
    ("inject", "injection profile"), ("inject_sha256", "injection rates"),
    ("config", "config contents"), ("policy_sha256", "policy contents"),
)


class StateError(ValueError):
    """The state directory does not match the requested run; says which setting differs."""


def node_keys(seed: int, nodes: tuple[str, ...], suffix: str) -> dict[str, NodeKey]:
    """Each node's key, deterministic from the seed (distinct per party)."""
    material = f"custodes-simulate|{seed}".encode()
    return {p: NodeKey.from_seed(p, f"{p}-{suffix}", material) for p in nodes}


def config_fingerprint(cfg: SimConfig) -> str:
    return hashlib.sha256(msgspec.json.encode(cfg)).hexdigest()[:16]


def _sha256(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def policy_fingerprint(policy: Policy) -> str:
    """The policy's effective values, not where they came from: an edited file differs."""
    return _sha256({k: v for k, v in policy.as_dict().items() if k != "origin"})


def injection_fingerprint(rates: InjectionRates) -> str:
    """The rates themselves (base and per node); the profile's name is kept beside it."""
    return _sha256({"base": rates.base, "nodes": rates.nodes})


def run_meta(seed: int, nodes: tuple[str, ...], scale: float, cfg: SimConfig, policy: Policy,
             rates: InjectionRates) -> dict[str, Any]:
    """What a run is started with (saved as meta.json; a resume must match RESUME_KEYS)."""
    return {"seed": seed, "nodes": list(nodes), "scale": scale,
            "inject": rates.name, "inject_sha256": injection_fingerprint(rates),
            "config": config_fingerprint(cfg),
            "policy": policy.origin, "policy_sha256": policy_fingerprint(policy)}


def _atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` whole (fsync'd); private like the keys (0600), as the state always was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data, mode=0o600)


class StateDir:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def exists(self) -> bool:
        return (self.path / "world.json").is_file()

    def save(self, meta: dict[str, Any], world: World, chains: dict[str, NodeChain]) -> None:
        for party, chain in chains.items():
            key_file = self.path / "keys" / f"{party}.key"
            if not key_file.exists():
                chain.key.save(key_file)
            _atomic_write(self.path / "chains" / f"{party}.json", chain.to_json().encode())
        _atomic_write(self.path / "world.json", orjson.dumps(world.state()))
        _atomic_write(self.path / "meta.json", json.dumps(meta, indent=1, sort_keys=True).encode())

    def load(self, meta: dict[str, Any]) -> tuple[World, dict[str, NodeChain], dict[str, Any]]:
        """World and chains of a previous run; StateError if `meta` differs from what it was."""
        saved = json.loads((self.path / "meta.json").read_text(encoding="utf-8"))
        for name, what in RESUME_KEYS:
            if saved.get(name) != meta.get(name):
                raise StateError(
                    f"{self.path}: the {what} changed since the saved run ({name}: saved "
                    f"{saved.get(name)!r}, now {meta.get(name)!r}"
                    + (f"; policy {saved.get('policy')!r} then, {meta.get('policy')!r} now"
                       if name == "policy_sha256" else "")
                    + "); a resume must continue the same run: use another --state-dir "
                    "or the same settings"
                )
        chains = {}
        for party in meta["nodes"]:
            key = NodeKey.load(self.path / "keys" / f"{party}.key")
            text = (self.path / "chains" / f"{party}.json").read_text(encoding="utf-8")
            chains[party] = NodeChain.from_state(key, text)
        world = World.from_state(orjson.loads((self.path / "world.json").read_bytes()))
        return world, chains, saved
