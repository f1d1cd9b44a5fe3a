"""The compose files and deploy/ configs parse, and every name in them (cluster, hosts, macros,
Keeper, database, tables, data sources) is one tracebridge renders or the compose file defines."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml

from tests.store.test_layout import created_tables, rendered
from tracebridge.settings import Settings
from tracebridge.store.layout import REPLICA_NAME, REPLICA_PATH, Layout

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def compose(name: str) -> dict[str, Any]:
    document = yaml.safe_load((ROOT / name).read_text())
    assert isinstance(document, dict)
    return document


def xml(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in service.get("environment", {}).items()}


def tracebridge_services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in document["services"].items() if s.get("command", [""])[0] == "serve"}


def test_single_server_compose_stays_single_server() -> None:
    services = tracebridge_services(compose("docker-compose.yml"))
    assert len(services) == 1
    env = environment(next(iter(services.values())))
    assert "TRACEBRIDGE_CLICKHOUSE_CLUSTER" not in env and env["TRACEBRIDGE_CLICKHOUSE_URL"]


def test_every_deploy_file_parses() -> None:
    for path in DEPLOY.rglob("*"):
        if path.suffix == ".xml":
            xml(path)
        elif path.suffix in (".yaml", ".yml"):
            assert yaml.safe_load(path.read_text())
        elif path.suffix == ".json":
            json.loads(path.read_text())


def test_cluster_compose_matches_the_rendered_layout() -> None:
    document = compose("docker-compose.cluster.yml")
    services = document["services"]
    clusters = xml(DEPLOY / "clickhouse" / "remote_servers.xml").find("remote_servers")
    assert clusters is not None and len(clusters) == 1
    cluster = clusters[0]
    shards = [[r.findtext("host") for r in shard.findall("replica")] for shard in cluster.findall("shard")]
    assert [len(replicas) for replicas in shards] == [2, 2]  # 2 shards x 2 replicas

    # Each ClickHouse service is a replica, mounts its own macros, and the macros say where it is.
    for shard_number, replicas in enumerate(shards, start=1):
        for host in replicas:
            mounts = [v.split(":") for v in services[host]["volumes"]]
            macros_file = next(src for src, dst, *_ in mounts if dst.endswith("config.d/macros.xml"))
            macros = xml(ROOT / macros_file).find("macros")
            assert macros is not None
            assert macros.findtext("shard") == str(shard_number)
            assert macros.findtext("replica") == host
            assert macros.findtext("cluster") == cluster.tag
            assert any(dst.endswith("config.d/remote_servers.xml") for _, dst, *_ in mounts)

    # Keeper: the servers' zookeeper node is the Keeper service on its client port.
    keeper_node = xml(DEPLOY / "clickhouse" / "use_keeper.xml").find("zookeeper/node")
    assert keeper_node is not None and keeper_node.findtext("host") in services
    keeper = xml(DEPLOY / "clickhouse" / "keeper.xml")
    assert keeper.findtext("keeper_server/tcp_port") == keeper_node.findtext("port")

    # Both tracebridge nodes: the same cluster and replicated layout, each on a ClickHouse service.
    nodes = tracebridge_services(document)
    assert len(nodes) == 2
    wal_volumes = set()
    for node in nodes.values():
        env = environment(node)
        settings = Settings(
            clickhouse_url=env["TRACEBRIDGE_CLICKHOUSE_URL"],
            clickhouse_cluster=env["TRACEBRIDGE_CLICKHOUSE_CLUSTER"],
            clickhouse_replicated=env["TRACEBRIDGE_CLICKHOUSE_REPLICATED"],
        )
        assert settings.clickhouse_cluster == cluster.tag and settings.clickhouse_replicated
        host = re.match(r"https?://[^@]*@([^:/]+)", env["TRACEBRIDGE_CLICKHOUSE_URL"])
        assert host is not None and any(host.group(1) in replicas for replicas in shards)
        wal_volumes.add(node["volumes"][0].split(":")[0])
    assert len(wal_volumes) == 2  # a write-ahead log each

    # The DDL tracebridge renders for this cluster uses exactly these names and macros.
    layout = Layout(cluster=cluster.tag, replicated=True)
    ddl = "\n".join(rendered(layout))
    assert f"ON CLUSTER `{cluster.tag}`" in ddl and f"Distributed('{cluster.tag}', 'tracebridge'" in ddl
    assert f"'{REPLICA_PATH}', '{REPLICA_NAME}'" in ddl
    assert set(re.findall(r"\{(\w+)\}", REPLICA_PATH + REPLICA_NAME)) <= {
        "shard",
        "replica",
        "database",
        "table",
    }


def test_grafana_provisioning_points_at_tracebridge() -> None:
    document = compose("docker-compose.cluster.yml")
    services = document["services"]
    sources = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/tracebridge.yaml").read_text())
    by_type = {source["type"]: source for source in sources["datasources"]}
    tables = created_tables(rendered(Layout(cluster="tracebridge_cluster", replicated=True)))
    database = Settings().database

    clickhouse = by_type["grafana-clickhouse-datasource"]["jsonData"]
    assert clickhouse["host"] in services and clickhouse["defaultDatabase"] == database
    for signal, table in (("traces", "otel_traces"), ("logs", "otel_logs")):
        assert clickhouse[signal]["otelEnabled"] is True
        assert clickhouse[signal]["defaultTable"] == table and "Distributed(" in tables[table]
        assert clickhouse[signal]["defaultDatabase"] == database
    assert "otel_traces_trace_id_ts" in tables

    jaeger = by_type["jaeger"]
    assert jaeger["url"] == "http://tracebridge-1:8080/jaeger" and "tracebridge-1" in services

    # Grafana mounts the provisioning and the dashboards folder the provider reads.
    mounts = dict(v.split(":")[:2] for v in services["grafana"]["volumes"])
    provider = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/tracebridge.yaml").read_text())
    assert mounts["./deploy/grafana/dashboards"] == provider["providers"][0]["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    dashboard = json.loads((DEPLOY / "grafana/dashboards/client-vs-server-p99.json").read_text())
    uids = {source["uid"] for source in sources["datasources"]}
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            assert target["datasource"]["uid"] in uids
            for table in re.findall(rf"{database}\.(\w+)", target["rawSql"]):
                assert table in tables
