"""Security (issue #5): no token in any file or output, TLS verified, sandbox on loopback."""

from __future__ import annotations

import asyncio
import re
import shutil
import ssl
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from pipeline.api import ApiClient, ApiSettings
from pipeline.cli import build_parser
from pipeline.errors import ConfigError
from pipeline.sandbox import SandboxConfig
from tests.conftest import REPO, SandboxHandle
from tests.runs import HEADERS, read_results, statuses

#: Long and distinctive, so that a hit can only be a leak (MIN_SECRET_LENGTH is 6).
APP_SECRET = "app-secret-7Qw9-Zx2L-never-in-a-file-3f81c0"
GRANT = "agreement-grant-Vb4K-Ty8P-never-in-a-file-62de9a"


def written_texts(root: Path, *, skip: set[Path]) -> Iterator[tuple[str, bytes]]:
    """Every file under ``root`` (but ``skip``), and every member of the zips (XLSX)."""
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p not in skip):
        data = path.read_bytes()
        yield str(path), data
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    yield f"{path}!{member}", archive.read(member)


def test_no_token_appears_in_any_file_a_run_writes_or_in_what_it_prints(
    sandbox: SandboxHandle, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECONOMIC_APP_SECRET_TOKEN", APP_SECRET)
    monkeypatch.setenv("ECONOMIC_AGREEMENT_GRANT_TOKEN", GRANT)
    source = tmp_path / "customers.csv"
    rows = [
        ["901", "Fynsk Rengøring", "DKK", "1", "1", "1", "a@example.dk"],
        ["902", "Grant in a cell", GRANT, "1", "1", "1", "b@example.dk"],  # invalid: echoed
        ["903", APP_SECRET, "DKK", "9", "1", "1", "c@example.dk"],  # rejected by the API
        ["", "", "", "", "", "", APP_SECRET],  # invalid, every error quotes the row
    ]
    source.write_text("\n".join(",".join(r) for r in [HEADERS, *rows]) + "\n", encoding="utf-8")
    journal = tmp_path / "state" / "journal.sqlite"
    monkeypatch.setenv("ECONOMIC_IMPORT_HOME", str(tmp_path / "state"))  # the ledger too
    runs = [
        cli("import", source, "--base-url", sandbox.url, "--report", tmp_path / "run1",
            "--journal", journal, "--no-progress"),
        cli("import", source, "--base-url", sandbox.url, "--report", tmp_path / "run2",
            "--journal", journal, "--no-progress", "--mode", "upsert"),
        cli("validate", source, "--report", tmp_path / "dry", "--no-progress"),
    ]  # fmt: skip
    assert [r.code for r in runs] == [1, 1, 1]
    assert statuses(read_results(tmp_path / "run1")) == {
        "created": 1, "invalid": 2, "rejected": 1,
    }  # fmt: skip
    files = list(written_texts(tmp_path, skip={source}))
    assert any(name.endswith("errors.xlsx!xl/worksheets/sheet1.xml") for name, _ in files)
    assert any(name.endswith("journal.sqlite") for name, _ in files)
    assert any(name.endswith("ledger.sqlite") for name, _ in files)
    for token in (APP_SECRET, GRANT):
        leaks = [name for name, data in files if token.encode() in data]
        leaks += [f"output of run {i}" for i, r in enumerate(runs) if token in r.out + r.err]
        assert leaks == [], f"token found in {leaks}"
    assert "***" in (tmp_path / "run1" / "errors.jsonl").read_text(encoding="utf-8")


#: Ways to switch certificate checks off in aiohttp or the ssl module.
TLS_OFF = re.compile(
    r"ssl\s*=\s*False|verify_ssl\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False"
    r"|_create_unverified_context"
)


def test_nothing_in_the_package_turns_certificate_checks_off() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "pipeline").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if TLS_OFF.search(line)
    ]
    assert offenders == []


class _TlsServer(threading.Thread):
    """An HTTPS server on loopback with a self-signed certificate, in its own thread."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(daemon=True)
        self.context = context
        self.ready = threading.Event()
        self.requests = 0
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._halt: asyncio.Event | None = None

    def run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        async def answer(request: web.Request) -> web.Response:
            self.requests += 1
            return web.json_response({"collection": []})

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self.context)
        await site.start()
        self.port = runner.addresses[0][1]
        self._loop, self._halt = asyncio.get_running_loop(), asyncio.Event()
        self.ready.set()
        await self._halt.wait()
        await runner.cleanup()

    def stop(self) -> None:
        if self._loop is not None and self._halt is not None:
            self._loop.call_soon_threadsafe(self._halt.set)
        self.join(timeout=10)


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_TlsServer]:
    """An HTTPS server whose certificate no trust store knows."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = _TlsServer(context)
    server.start()
    assert server.ready.wait(timeout=30)
    yield server
    server.stop()


def test_a_server_with_an_untrusted_certificate_is_refused_before_any_token_is_sent(
    self_signed: _TlsServer,
) -> None:
    settings = ApiSettings(
        base_url=f"https://127.0.0.1:{self_signed.port}",
        app_secret_token=APP_SECRET,
        agreement_grant_token=GRANT,
    )

    async def call() -> None:
        async with ApiClient(settings) as client:
            await client.send("GET", "/customer-groups")

    with pytest.raises(ConfigError, match="TLS"):
        asyncio.run(call())
    assert self_signed.requests == 0


def test_the_cli_refuses_an_untrusted_certificate_in_one_line(
    self_signed: _TlsServer, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECONOMIC_APP_SECRET_TOKEN", APP_SECRET)
    monkeypatch.setenv("ECONOMIC_AGREEMENT_GRANT_TOKEN", GRANT)
    source = tmp_path / "customers.csv"
    source.write_text(",".join(HEADERS) + "\n1,A,DKK,1,1,1,a@example.dk\n", encoding="utf-8")
    result = cli("import", source, "--base-url", f"https://127.0.0.1:{self_signed.port}",
                 "--report", tmp_path / "report", "--no-progress")  # fmt: skip
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "TLS" in lines[0], result.err
    assert APP_SECRET not in result.err and GRANT not in result.err
    assert self_signed.requests == 0


def test_the_sandbox_listens_on_loopback_unless_told_otherwise(
    sandbox: SandboxHandle,
) -> None:
    assert SandboxConfig().host == "127.0.0.1"
    assert build_parser().parse_args(["sandbox"]).host == "127.0.0.1"
    assert sandbox.url.startswith("http://127.0.0.1:")
