"""The SPARQL 1.1 Protocol's request side: where the query is, how big it may be, and what is refused.

The endpoint is read-only and makes no requests of its own. pyoxigraph would execute ``SERVICE <url>`` by fetching
the URL, and an Update or LOAD has no business on a public endpoint, so every query is scanned BEFORE it reaches a
worker: comments, strings and IRIs are tokenised away first, so a keyword inside a string or an IRI is not mistaken
for one, and FROM / FROM NAMED (and the protocol's default-graph-uri / named-graph-uri) may only name our graphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from starlette.requests import Request

MAX_QUERY_BYTES = 64 * 1024
OUR_GRAPHS = "https://w3id.org/khasan/"

UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<pname>(?:[^\W\d][\w.-]*)?:(?:[\w:%.-]|\\.)*)
  | (?P<word>[^\W\d]\w*)
  | (?P<other>\S)
    """,
    re.VERBOSE | re.UNICODE,
)


class Refused(Exception):
    """A request the endpoint will not run: ``status`` is 400 (bad request), 403 (forbidden) or 413 (too large)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class SparqlRequest:
    query: str | None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    format: str | None = None  # ?format= as many clients send it


def tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup or "other", m.group()) for m in _TOKEN.finditer(text) if m.lastgroup != "comment"]


def check_query(text: str) -> None:
    """Refuse Update, LOAD, SERVICE, and FROM / FROM NAMED outside our graphs, before anything runs."""
    toks = tokens(text)
    prefixes: dict[str, str] = {}
    for i, (kind, value) in enumerate(toks):
        if kind != "word":
            continue
        word = value.upper()
        if word == "PREFIX" and i + 2 < len(toks) and toks[i + 1][0] == "pname" and toks[i + 2][0] == "iri":
            prefixes[toks[i + 1][1].split(":", 1)[0]] = toks[i + 2][1][1:-1]
        elif word == "SERVICE":
            raise Refused(403, "SERVICE is refused: this endpoint does not query other endpoints (federation is off)")
        elif word in UPDATE_KEYWORDS:
            raise Refused(403, f"{word} is refused: this endpoint is read-only "
                               "(SPARQL Update and LOAD are not allowed)")
        elif word == "FROM":
            j = i + 1
            if j < len(toks) and toks[j][1].upper() == "NAMED":
                j += 1
            if j >= len(toks):
                continue  # a syntax error: the parser will say so
            kind_j, target = toks[j]
            if kind_j == "iri":
                iri = target[1:-1]
            elif kind_j == "pname":
                prefix, _, local = target.partition(":")
                if prefix not in prefixes:
                    continue  # an undeclared prefix: the parser will say so
                iri = prefixes[prefix] + local
            else:
                continue
            check_graph(iri, "FROM")


def check_graph(iri: str, where: str) -> None:
    if not iri.startswith(OUR_GRAPHS):
        raise Refused(
            403, f"{where} <{iri}> is refused: only this dataset's graphs (IRIs under {OUR_GRAPHS}) can be queried"
        )


async def read_request(request: Request) -> SparqlRequest:
    """The query and dataset of a GET, a form POST or a direct POST (SPARQL 1.1 Protocol §2.1)."""
    params = request.query_params
    if request.method == "GET":
        query = params.get("query")
        if "update" in params:
            raise Refused(403, "SPARQL Update is refused: this endpoint is read-only")
        out = SparqlRequest(query, params.getlist("default-graph-uri"), params.getlist("named-graph-uri"),
                            params.get("format"))
    else:
        body = await read_body(request)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "application/x-www-form-urlencoded":
            try:
                form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            except UnicodeDecodeError:
                raise Refused(400, "the form is not UTF-8") from None
            if "update" in form:
                raise Refused(403, "SPARQL Update is refused: this endpoint is read-only")
            out = SparqlRequest(
                (form.get("query") or [None])[0],
                form.get("default-graph-uri", []) + params.getlist("default-graph-uri"),
                form.get("named-graph-uri", []) + params.getlist("named-graph-uri"),
                (form.get("format") or [params.get("format")])[0],
            )
        elif media == "application/sparql-query":
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise Refused(400, "the query is not UTF-8") from None
            out = SparqlRequest(text, params.getlist("default-graph-uri"), params.getlist("named-graph-uri"),
                                params.get("format"))
        elif media == "application/sparql-update":
            raise Refused(403, "SPARQL Update is refused: this endpoint is read-only")
        else:
            raise Refused(
                415, "send the query as application/sparql-query or application/x-www-form-urlencoded (query=...)"
            )
    if out.query is not None and len(out.query.encode("utf-8")) > MAX_QUERY_BYTES:
        raise Refused(413, f"the query is longer than {MAX_QUERY_BYTES // 1024} KiB")
    for iri in out.default_graphs:
        check_graph(iri, "default-graph-uri")
    for iri in out.named_graphs:
        check_graph(iri, "named-graph-uri")
    return out


async def read_body(request: Request, limit: int = MAX_QUERY_BYTES + 1024) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` (never read whole into memory)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Refused(413, f"the request body is larger than {limit // 1024} KiB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"the request body is larger than {limit // 1024} KiB")
        chunks.append(chunk)
    return b"".join(chunks)
