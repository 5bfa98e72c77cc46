"""What the Kafka broker needs on disk: its jars, its config, formatted storage.

Each step is skipped when already done, so a second `custodes stack up`
neither downloads nor formats again.
"""
from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from string import Template

from custodes.stack.errors import StackError
from custodes.stack.layout import KAFKA_CONTROLLER_PORT, KAFKA_PORT, Layout

STAMP = ".complete"


def kafka_version(layout: Layout) -> str:
    """The broker version pinned in ops/kafka/pom.xml (the `kafka.version` property)."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    found = ET.parse(layout.pom).getroot().find("m:properties/m:kafka.version", ns)
    if found is None or not found.text:
        raise StackError(f"{layout.pom} has no <kafka.version> property")
    return found.text.strip()


def pom_digest(layout: Layout) -> str:
    return hashlib.sha256(layout.pom.read_bytes()).hexdigest()


def jars_ready(layout: Layout) -> bool:
    stamp = layout.kafka_libs / STAMP
    return stamp.is_file() and stamp.read_text().strip() == pom_digest(layout)


def fetch_jars(layout: Layout) -> int:
    """Copy the broker's runtime jars from Maven into .local/kafka/libs; return their count."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError("Maven (mvn) is not installed: run `bash scripts/setup.sh` first.")
    libs = layout.kafka_libs
    shutil.rmtree(libs, ignore_errors=True)
    libs.mkdir(parents=True)
    cmd = [mvn, "-q", "-B", "-f", str(layout.pom), "dependency:copy-dependencies",
           f"-DoutputDirectory={libs}"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StackError(
            f"fetching the Kafka jars failed ({' '.join(cmd)}):\n{done.stdout}{done.stderr}"
        )
    (libs / STAMP).write_text(pom_digest(layout) + "\n")
    return len(list(libs.glob("*.jar")))


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not found or not Path(found).exists():
        raise StackError("Java 17 or later is not installed: run `bash scripts/setup.sh` first.")
    return found


def server_properties(layout: Layout) -> Path:
    """Render ops/kafka/server.properties.template into .local/kafka/server.properties."""
    template = Template((layout.kafka_ops / "server.properties.template").read_text())
    target = layout.kafka / "server.properties"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(template.substitute(
        DATA_DIR=layout.kafka_data,
        BROKER_PORT=KAFKA_PORT,
        CONTROLLER_PORT=KAFKA_CONTROLLER_PORT,
    ))
    return target


def jvm_command(layout: Layout, main: str, *args: str, heap: str = "-Xmx1g") -> list[str]:
    return [
        java(), heap, "-Xms256m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
        f"-Dkafka.logs.dir={layout.kafka_logs}",
        f"-Dlog4j2.configurationFile={layout.kafka_ops / 'log4j2.properties'}",
        "-cp", f"{layout.kafka_libs}/*", main, *args,
    ]


def storage_formatted(layout: Layout) -> bool:
    return (layout.kafka_data / "meta.properties").is_file()


def format_storage(layout: Layout, props: Path) -> str:
    """Format the KRaft log directory once with a fresh cluster id; return that id."""
    cluster_id = _kafka_uuid()
    cmd = jvm_command(layout, "kafka.tools.StorageTool", "format", "-t", cluster_id,
                      "-c", str(props), heap="-Xmx256m")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StackError(f"formatting Kafka storage failed:\n{done.stdout}{done.stderr}")
    return cluster_id


def _kafka_uuid() -> str:
    """A cluster id as Kafka writes them: 16 random bytes, URL-safe base64, no padding."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text
