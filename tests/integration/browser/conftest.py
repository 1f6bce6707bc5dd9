"""Fixtures for the browser test: a throwaway JupyterLab on loopback and headless Chromium.

JupyterLab runs from this virtualenv (so it finds the venv's ``python3`` kernel and the
ipywidgets lab extension under ``.venv/share/jupyter``) in a temporary root folder holding a
copy of ``notebooks/03-widgets.ipynb`` and its data, with its own config, runtime and data
folders, no token, and everything that would reach the internet (news, update checks, the
PyPI extension manager) turned off. ``HUBSPOT_*`` variables are removed, so the notebook's
``connect()`` starts the sandbox. Chromium is Debian's (Playwright's download cannot work
here) and may resolve no name but loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
NOTEBOOK = REPO / "notebooks" / "03-widgets.ipynb"
CHROMIUM = Path(os.environ.get("HUBUTK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
    # Nothing but loopback resolves: the page cannot reach off this machine.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
#: JupyterLab's cold start on the 2-core CI machine takes 5-40 s.
SERVER_START_TIMEOUT = 90.0
#: Each JupyterLab user setting here is written to the isolated settings folder.
LAB_SETTINGS = {
    # Render every cell: with windowing, cells scrolled out of view leave the DOM.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}
_NO_LOOPBACK_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class LabServer:
    """A running JupyterLab: its base URL, root folder and log file."""

    url: str
    root: Path
    log: Path

    def api(self, path: str, method: str = "GET") -> Any:
        """Call the server's REST API (no token needed); the decoded JSON or ``None``."""
        request = urllib.request.Request(f"{self.url}{path}", method=method)
        with _NO_LOOPBACK_PROXY.open(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(base: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HUBSPOT_") and k not in {"HUBUTK_VISITORS_CSV", "JUPYTER_PATH"}
    }
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        folder = base / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    env["JUPYTERLAB_SETTINGS_DIR"] = str(base / "jupyter_config_dir" / "lab" / "user-settings")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(base / "jupyter_config_dir" / "lab" / "workspaces")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _write_lab_config(env: dict[str, str]) -> None:
    """Disable the announcements plugin and write the user settings above."""
    labconfig = Path(env["JUPYTER_CONFIG_DIR"]) / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    disabled = {"@jupyterlab/apputils-extension:announcements": True}
    (labconfig / "page_config.json").write_text(json.dumps({"disabledExtensions": disabled}))
    for plugin, settings in LAB_SETTINGS.items():
        path = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))


def _lab_command(port: int, root: Path) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.terminals_enabled=False",
        "--ServerApp.jpserver_extensions=jupyter_lsp=False",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI runners often run as root
    return command


def _wait_until_up(server: LabServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{server.log_tail()}")
        try:
            server.api("/api/status")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    pytest.fail(
        f"JupyterLab did not answer within {SERVER_START_TIMEOUT:.0f} s:\n{server.log_tail()}"
    )


def _stop(server: LabServer, process: subprocess.Popen[bytes]) -> None:
    """Shut the kernels down through the API, then the server; kill it if it lingers."""
    try:
        for kernel in server.api("/api/kernels") or []:
            server.api(f"/api/kernels/{kernel['id']}", method="DELETE")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        pass  # the server is already gone; its own shutdown stops its kernels
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab serving a temporary copy of notebook 03 and its data, stopped afterwards."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    root.mkdir()
    shutil.copy2(NOTEBOOK, root / NOTEBOOK.name)
    shutil.copytree(NOTEBOOK.parent / "data", root / "data")
    env = _server_env(base)
    _write_lab_config(env)
    port = _free_port()
    server = LabServer(url=f"http://127.0.0.1:{port}", root=root, log=base / "jupyterlab.log")
    with server.log.open("wb") as log:
        process = subprocess.Popen(
            _lab_command(port, root), cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_up(server, process)
        yield server
    finally:
        _stop(server, process)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Remember each phase's report on the item, so fixtures can tell a failed test."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def page(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium page; on failure its screenshot and console log go to tmp_path."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make browser` does)")
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 2000})
            page = context.new_page()
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
            yield page
            report = getattr(request.node, "report_call", None)
            if report is not None and report.failed:
                shot, log = tmp_path / "failure.png", tmp_path / "console.log"
                page.screenshot(path=str(shot), full_page=True)
                log.write_text("\n".join(console))
                print(f"\nfailure screenshot: {shot}\nbrowser console log: {log}")
        finally:
            browser.close()
