"""A real run with a fault on its timeline, through every output that shows faults: the console's lines as it
starts and ends and the summary's table, the Markdown and JUnit files, the CSV's faults_active column, and
the HTML report regenerated from the results file (its bands where the fault was)."""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from loadpulse.outputs.html_report import report_data
from loadpulse.results.file import read_results
from tests.conftest import CliResult
from tests.ports import free_port


def test_a_proxy_fault_in_every_output(cli: Callable[..., CliResult], demo_url: str, tmp_path: Path) -> None:
    port = free_port()
    upstream = urlsplit(demo_url).netloc
    fault = {"name": "api-latency", "at": "1s", "for": "1s", "proxy": "api", "latency": "30ms"}
    files = {ext: tmp_path / f"r.{ext}" for ext in ("md", "xml", "csv", "json")}
    r = cli(
        "http", f"http://127.0.0.1:{port}/health", "-c", "2", "-d", "4s", "--no-history", "--no-progress",
        "--proxy", f"api=127.0.0.1:{port}->{upstream}", "--fault", json.dumps(fault),
        "--markdown", str(files["md"]), "--junit", str(files["xml"]), "--csv", str(files["csv"]),
        "--out", str(files["json"]),
    )  # fmt: skip
    assert r.code == 0, r.err
    assert re.search(r"^\s+1\.\ds  fault api-latency \(proxy\) started: latency 30ms", r.err, re.M), r.err
    assert re.search(r"^\s+2\.\ds  fault api-latency ended$", r.err, re.M), r.err
    table = r.out[r.out.index("faults    1 injected") :]
    assert re.search(r"^api-latency proxy api\s+1\.0-2\.0s ", table, re.M), table

    results = read_results(files["json"])
    [f] = results.summary["faults"]
    assert (f["name"], f["kind"], round(f["start_s"]), round(f["end_s"])) == ("api-latency", "proxy", 1, 2)
    assert f["impact"]["p99_ms"] >= 30
    assert "| `api-latency` | proxy | api | 1.0-2.0 s |" in files["md"].read_text()
    cases = ET.parse(files["xml"]).getroot().findall("testcase[@classname='loadpulse.faults']")
    assert [c.get("name") for c in cases] == ["api-latency"]
    marked = [row["t_s"] for row in csv.DictReader(files["csv"].open()) if row["faults_active"]]
    assert len(marked) in (2, 3) and all(1.0 <= float(t) <= 3.01 for t in marked), marked
    [band] = report_data(results)["faults"]["bands"]
    assert (round(band["start"]), round(band["end"])) == (1, 2)
