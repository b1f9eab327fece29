"""A fresh Virtuoso Open Source for one test session: its own virtuoso.ini and database in a temporary folder,
bound to 127.0.0.1 on free ports, writable over the Graph Store Protocol, stopped (and removed) afterwards.

Why a fresh database every run: Virtuoso 7.2 can get stuck after one failed insert (every later insert fails
until a restart), so no test may depend on a database another run has touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"
DEBIAN_PACKAGE = "virtuoso-opensource"

_INI = """\
[Database]
DatabaseFile       = {d}/virtuoso.db
ErrorLogFile       = {d}/virtuoso.log
LockFile           = {d}/virtuoso.lck
TransactionFile    = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {d}/virtuoso-temp.db
TransactionFile    = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{sql}
LiteMode                 = 0
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 10
CheckpointInterval       = 60
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
CheckpointAuditTrail     = 0
AllowOSCalls             = 0
SchedulerInterval        = 10
DirsAllowed              = ., {d}
ThreadCleanupInterval    = 0
ThreadThreshold          = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize        = 100000
SingleCPU                = 0
PrefixResultNames        = 0
RdfFreeTextRulesSize     = 100
IndexTreeMaps            = 64
MaxQueryMem              = 256M
VectorSize               = 1000
MaxVectorSize            = 1000000
AdjustVectorSize         = 0
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 4
NumberOfBuffers          = 10000
MaxDirtyBuffers          = 6000

[HTTPServer]
ServerPort                  = 127.0.0.1:{http}
ServerRoot                  = /var/lib/virtuoso-opensource-7/vsp
MaxClientConnections        = 10
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
TempASPXDir                 = 0
ServerThreads               = 10
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
HTTPThreadSize              = 280000
HttpPrintWarningsInOutput   = 0
Charset                     = UTF-8
EnabledGzipContent          = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[SPARQL]
ResultSetMaxRows           = 100000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = 60
DefaultGraph               = http://localhost:{http}/dataspace
"""

# What the push needs: the anonymous "SPARQL" user may run SPARQL Update (for MOVE) and write through the
# unauthenticated Graph Store endpoint; only ever done on a throw-away database bound to 127.0.0.1.
_GRANTS = [
    'GRANT SPARQL_UPDATE TO "SPARQL";',
    "GRANT EXECUTE ON DB.DBA.SPARQL_INSERT_DICT_CONTENT TO \"SPARQL\";",
    "GRANT EXECUTE ON DB.DBA.SPARQL_DELETE_DICT_CONTENT TO \"SPARQL\";",
    "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);",
]


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def require_virtuoso() -> None:
    """Skip when Virtuoso is not installed here; in CI (.ci/run installs it) its absence is a failure."""
    missing = [tool for tool in (VIRTUOSO, ISQL) if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"{', '.join(missing)} not found: install the Debian package {DEBIAN_PACKAGE}"
    if in_ci():
        pytest.fail(reason + " (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Virtuoso:
    """One running Virtuoso; ``base`` is its HTTP root (http://127.0.0.1:PORT)."""

    folder: Path
    sql_port: int
    http_port: int
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql(self) -> str:
        return self.base + "/sparql"

    @property
    def graph_store(self) -> str:
        return self.base + "/sparql-graph-crud"

    def isql(self, *statements: str, timeout: float = 60) -> str:
        script = "\n".join(statements) + "\n"
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{self.sql_port}", "dba", "dba", "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF",
             "ERRORS=STDOUT"],
            input=script.encode(), capture_output=True, timeout=timeout, check=False,
        )
        out = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
        if done.returncode != 0 or "*** Error" in out:
            raise RuntimeError(f"isql-vt on 127.0.0.1:{self.sql_port} failed ({done.returncode}): {out.strip()}")
        return out

    def log(self) -> str:
        path = self.folder / "virtuoso.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                subprocess.run([ISQL, f"127.0.0.1:{self.sql_port}", "dba", "dba", "-K"],
                               capture_output=True, timeout=30, check=False)
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()  # only the server this helper started, by its own handle
                self.process.wait(timeout=10)


def start_virtuoso(folder: Path, timeout: float = 60) -> Virtuoso:
    """Start a fresh server in ``folder`` (which must be empty) and wait until it answers SPARQL."""
    import httpx

    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = _free_port(), _free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(_INI.format(d=folder, sql=sql_port, http=http_port), encoding="utf-8")
    process = subprocess.Popen(
        [VIRTUOSO, "+foreground", "+configfile", str(ini)], cwd=folder,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    server = Virtuoso(folder, sql_port, http_port, process)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {process.returncode} at start-up:\n{server.log()[-3000:]}")
        try:
            r = httpx.get(server.sparql, params={"query": "ASK {}"},
                          headers={"Accept": "application/sparql-results+json"}, timeout=2)
            if r.status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"Virtuoso did not answer on {server.sparql} within {timeout:.0f} s:\n"
                               f"{server.log()[-3000:]}")
        time.sleep(0.3)
    server.isql(*_GRANTS)
    return server
