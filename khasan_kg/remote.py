"""Remote stores: push the built graph into any SPARQL 1.1 Graph Store, and query a remote SPARQL endpoint with
the same interface as the embedded store (khasan_kg.store.GraphStore).

How the graph is laid out remotely (provenance survives the push):

- ``<G>``, the graph you push to (default ``https://w3id.org/khasan/id/graph/all``): every asserted triple —
  editorial, derived provenance, every passage, the ontology — in one graph, for clients that query one graph;
- ``<G/editorial>``: the build's default graph alone (editorial statements and the derived passage provenance);
- every passage graph (``psg:START-END``), the ontology graph and the graph of kept entailments: a named graph
  of the same IRI as in ``dist/khasan.trig``, so "which passage states this triple" (``GRAPH ?passage { … }``)
  answers remotely as it does embedded. The flattening costs nothing in provenance.

``<G>`` types every passage ``kh:Passage``, so a client (``RemoteStore``) knows which named graphs belong to the
push: a passage graph left behind by an earlier push is never read.

Replacing only what succeeded: every graph is first uploaded into a staging graph under
``<G>/staging-<token>/<n>`` (in chunks of at most 100,000 triples: PUT, then POST). Nothing the push will
replace is touched until every staging upload has succeeded. Then, with a SPARQL Update endpoint
(``update_endpoint``), one request ``MOVE``s every staging graph onto its target; without one, each target is
replaced by a single PUT of its whole content (which a Graph Store rejects as a whole, leaving the old graph, as
Virtuoso does). On any failure the staging graphs are deleted and the error names the URL and the HTTP status.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import XSD

from .errors import InputError, KhasanError, UsageError
from .export import INFERRED_GRAPH, ONTOLOGY_GRAPH
from .namespaces import GRAPH_NS, KH
from .store import Results, Term

DEFAULT_GRAPH = str(GRAPH_NS["all"])
CHUNK = 100_000
TURTLE = "text/turtle; charset=utf-8"  # N-Triples is Turtle; every Graph Store reads Turtle


class RemoteError(KhasanError):
    """A remote store refused or failed a request (exit 2); the message names the URL and the HTTP status."""


# ---------------------------------------------------------------------------------------------------------------
# Terms as N-Triples text: the only way a value reaches a query or an upload. Checked, escaped, never pasted raw.

_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def nt_iri(iri: str) -> str:
    if not iri or _IRI_FORBIDDEN.search(iri):
        raise UsageError(f"not a usable IRI (empty, or has spaces, quotes or <>{{}}|^`\\): {iri!r}")
    return f"<{iri}>"


def _escape(text: str) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def nt_term(term: Term) -> str:
    """One term as N-Triples (also valid SPARQL): IRIs checked, literals escaped."""
    if isinstance(term, URIRef):
        return nt_iri(str(term))
    if isinstance(term, Literal):
        body = f'"{_escape(str(term))}"'
        if term.language:
            if not _LANG.match(term.language):
                raise UsageError(f"not a language tag: {term.language!r}")
            return f"{body}@{term.language}"
        if term.datatype and term.datatype != XSD.string:
            return f"{body}^^{nt_iri(str(term.datatype))}"
        return body
    if isinstance(term, BNode):
        return f"_:b{re.sub(r'[^A-Za-z0-9]', '', str(term))}"
    raise UsageError(f"cannot write {term!r} as an RDF term")


def values_clause(bindings: Mapping[str, Term]) -> str:
    names = list(bindings)
    for name in names:
        if not _VAR.match(name):
            raise UsageError(f"not a SPARQL variable name: {name!r}")
    row = " ".join(nt_term(bindings[n]) for n in names)
    return f"VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}"


# ---------------------------------------------------------------------------------------------------------------
# Where a query's WHERE group opens, found by a small lexer that skips comments, strings and IRIs.

_TOKEN = re.compile(
    r'(?P<comment>\#[^\n]*)'
    r'|(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')'
    r'|(?P<iri><[^<>"{}|^`\\\s]*>)'
    r'|(?P<open>\{)|(?P<close>\})'
    r'|(?P<word>[A-Za-z]+)',
    re.S,
)


def query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first such keyword outside comments, strings and IRIs."""
    for m in _TOKEN.finditer(query):
        if m.lastgroup == "word" and m.group().upper() in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return m.group().upper()
        if m.lastgroup == "word" and m.group().upper() in ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE"):
            raise UsageError("SPARQL Update is not a query: the remote store is used read-only here")
    raise UsageError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE found")


def with_values(query: str, bindings: Mapping[str, Term] | None) -> str:
    """The query with ``VALUES`` for the bindings as the first thing in its WHERE group, so every pattern,
    FILTER and OPTIONAL in that group sees the values (as Oxigraph's substitutions do embedded)."""
    if not bindings:
        return query
    form = query_form(query)
    depth, groups_seen = 0, 0
    target = 2 if form == "CONSTRUCT" and not re.search(r"\bCONSTRUCT\s+WHERE\b", query, re.I) else 1
    for m in _TOKEN.finditer(query):
        if m.lastgroup == "open":
            if depth == 0:
                groups_seen += 1
                if groups_seen == target:
                    at = m.end()
                    return query[:at] + "\n  " + values_clause(bindings) + "\n" + query[at:]
            depth += 1
        elif m.lastgroup == "close":
            depth -= 1
    raise UsageError("cannot bind parameters: the query has no WHERE group")


# ---------------------------------------------------------------------------------------------------------------
# HTTP


def _auth(user: str | None, password: str | None) -> httpx.Auth | None:
    if user is None:
        return None
    return _ChallengeAuth(user, password or "")


class _ChallengeAuth(httpx.Auth):
    """Digest when the server asks for Digest (Virtuoso's -auth endpoints), Basic otherwise."""

    def __init__(self, user: str, password: str) -> None:
        self.digest = httpx.DigestAuth(user, password)
        self.basic = httpx.BasicAuth(user, password)

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        response = yield request
        if response.status_code != 401:
            return
        challenge = response.headers.get("www-authenticate", "").lower()
        scheme = self.digest if challenge.startswith("digest") else self.basic
        flow = scheme.auth_flow(request)
        retry = next(flow)
        if scheme is self.digest:
            retry = flow.send(response)
        yield retry


def _explain(response: httpx.Response, what: str) -> RemoteError:
    body = re.sub(r"<[^>]+>", " ", response.text or "")
    body = re.sub(r"\s+", " ", body).strip()[:400]
    return RemoteError(f"{what}: {response.request.url} answered HTTP {response.status_code} "
                       f"{response.reason_phrase}" + (f": {body}" if body else ""))


def _send(client: httpx.Client, method: str, url: str, what: str, **kwargs: object) -> httpx.Response:
    try:
        response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        raise RemoteError(f"{what}: cannot reach {url}: {exc}") from exc
    if response.status_code >= 400:
        raise _explain(response, what)
    return response


# ---------------------------------------------------------------------------------------------------------------
# push


def _graph_iri(ctx: object) -> str | None:
    ident = getattr(ctx, "identifier", ctx)
    if ident is None or ident == DATASET_DEFAULT_GRAPH_ID:
        return None
    return str(ident)


def editorial_graph(graph: str) -> str:
    return graph.rstrip("/") + "/editorial"


def layout(dataset: Dataset, graph: str) -> dict[str, Graph]:
    """Target graph IRI → its triples: ``graph`` gets every asserted triple (flattened), ``graph``/editorial the
    build's default graph alone, and every named graph keeps its IRI."""
    out: dict[str, Graph] = {graph: Graph(), editorial_graph(graph): Graph()}
    for ctx in dataset.graphs():
        if len(ctx) == 0:
            continue
        iri = _graph_iri(ctx) or editorial_graph(graph)
        target = out.setdefault(iri, Graph())
        for t in ctx:
            target.add(t)
            if iri != str(INFERRED_GRAPH):
                out[graph].add(t)
    if not out[editorial_graph(graph)]:
        raise UsageError("the build has no default graph to push (is graph/ empty?)")
    return out


def chunks(g: Graph, size: int = CHUNK) -> Iterator[bytes]:
    """N-Triples in chunks of at most ``size`` triples; triples with blank nodes all go in the first chunk, since
    a store gives each request's blank nodes fresh identities."""
    with_bnodes = [t for t in g if any(isinstance(x, BNode) for x in t)]
    plain = [t for t in g if not any(isinstance(x, BNode) for x in t)]
    if len(with_bnodes) > size:
        raise UsageError(f"{len(with_bnodes)} triples with blank nodes in one graph: more than one chunk ({size})")
    ordered = with_bnodes + plain
    for start in range(0, max(len(ordered), 1), size):
        lines = [" ".join(nt_term(x) for x in t) + " .\n" for t in ordered[start:start + size]]  # type: ignore[arg-type]
        yield "".join(lines).encode("utf-8")


def load_dataset(source: object = None) -> Dataset:
    """The export dataset: a Build, a path to dist/ or khasan.trig, or (None) dist/ if current, else a build."""
    from .build import Build

    if isinstance(source, Build):
        return source.dataset()
    if isinstance(source, Dataset):
        return source
    if source is None:
        from . import api
        from .paths import Project

        project = Project.locate()
        dist = project.root / api.DEFAULT_OUT
        if api._dist_is_current(project, dist):
            source = dist
        else:
            return api.build(out=None, project=project).dataset()
    path = Path(str(source))
    trig = path / "khasan.trig" if path.is_dir() else path
    if not trig.is_file():
        raise InputError(f"{trig}: no such file (run: khasan-kg build)")
    ds = Dataset(default_union=False)
    try:
        ds.parse(trig, format="trig")
    except Exception as exc:  # rdflib raises several unrelated types for bad syntax
        raise InputError(f"{trig}: cannot read the built graph: {exc}") from exc
    return ds


def push(endpoint: str, graph: str | None = None, user: str | None = None, password: str | None = None, *,
         update_endpoint: str | None = None, source: object = None, chunk: int = CHUNK,
         timeout: float = 120.0, quiet: bool = False, client: httpx.Client | None = None) -> int:
    """Load the built graph into the Graph Store at ``endpoint``; returns 0 (the CLI's exit code).

    ``graph`` receives the build's default graph; the passages, the ontology and the entailments keep their own
    named graphs. See the module docstring for how a failed push leaves the remote store as it was. ``client``
    is for tests (an httpx client with its own transport)."""
    graph = graph or DEFAULT_GRAPH
    nt_iri(graph)
    t0 = time.perf_counter()
    targets = layout(load_dataset(source), graph)
    token = secrets.token_hex(6)
    staging = {iri: f"{graph}/staging-{token}/{n}" for n, iri in enumerate(sorted(targets))}
    sent: list[str] = []
    with client or httpx.Client(auth=_auth(user, password), timeout=timeout) as client:
        try:
            for iri, g in targets.items():
                _upload(client, endpoint, staging[iri], g, chunk, sent)
            if update_endpoint:
                ops = " ;\n".join(f"MOVE SILENT {nt_iri(staging[i])} TO {nt_iri(i)}" for i in sorted(targets))
                _send(client, "POST", update_endpoint, f"replacing {len(targets)} graphs", data={"update": ops},
                      headers={"Accept": "*/*"})
                sent.clear()  # moved: nothing left to clean up
            else:
                for iri, g in targets.items():
                    body = b"".join(chunks(g, max(len(g), 1)))
                    _send(client, "PUT", endpoint, f"replacing graph <{iri}>", params={"graph": iri},
                          content=body, headers={"Content-Type": TURTLE})
        finally:
            for name in sent:  # best effort: a staging graph left behind is harmless but untidy
                try:
                    client.request("DELETE", endpoint, params={"graph": name})
                except httpx.HTTPError:
                    pass
    triples = sum(len(g) for g in targets.values())
    if not quiet:
        print(f"Pushed {triples} triples in {len(targets)} graphs to {endpoint} (default graph → <{graph}>) "
              f"in {time.perf_counter() - t0:.2f} s")
    return 0


def _upload(client: httpx.Client, endpoint: str, name: str, g: Graph, size: int, sent: list[str]) -> None:
    for n, body in enumerate(chunks(g, size)):
        method = "PUT" if n == 0 else "POST"
        if n == 0:
            sent.append(name)
        _send(client, method, endpoint, f"uploading chunk {n + 1} into staging graph <{name}>",
              params={"graph": name}, content=body, headers={"Content-Type": TURTLE})


# ---------------------------------------------------------------------------------------------------------------
# RemoteStore


def _from_json(value: Mapping[str, str] | None) -> Term | None:
    if value is None:
        return None
    kind = value.get("type")
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if "xml:lang" in value:
        return Literal(value["value"], lang=value["xml:lang"].lower())
    # a plain literal is an xsd:string, as the embedded store returns it
    return Literal(value["value"], datatype=URIRef(value.get("datatype") or str(XSD.string)))


class RemoteStore:
    """A SPARQL endpoint holding a push, with GraphStore's ``select`` / ``query`` interface.

    Queries go as form POSTs (Virtuoso hangs on a direct POST) with the dataset given by the protocol's
    ``default-graph-uri`` / ``named-graph-uri``: the default graph is ``<G>`` (plus the entailments when
    ``inferred``), the named graphs are the passages, the ontology and the entailments, as embedded. (Giving
    the 500-odd passage graphs as default graphs instead made Virtuoso's cost estimate refuse property paths.)"""

    def __init__(self, url: str, graph: str | None = None, user: str | None = None, password: str | None = None,
                 timeout: float = 60.0) -> None:
        self.url = url
        self.graph = graph or DEFAULT_GRAPH
        self.client = httpx.Client(auth=_auth(user, password), timeout=timeout)
        self._named: list[str] | None = None

    def named_graphs(self) -> list[str]:
        """The passage graphs listed in ``<G>``, the ontology graph and the entailments graph."""
        if self._named is None:
            data = self._post(f"SELECT DISTINCT ?p WHERE {{ ?p a {nt_iri(str(KH.Passage))} }}", [self.graph], [])
            passages = sorted(b["p"]["value"] for b in data["results"]["bindings"])
            if not passages:
                probe = self._post("ASK { ?s ?p ?o }", [self.graph], [])
                if not probe.get("boolean"):
                    raise RemoteError(f"{self.url}: graph <{self.graph}> is empty or absent "
                                      f"(load it first: khasan-kg push --endpoint …/sparql-graph-crud)")
            self._named = [*passages, str(ONTOLOGY_GRAPH), str(INFERRED_GRAPH)]
        return self._named

    def _dataset(self, inferred: bool) -> tuple[list[str], list[str]]:
        named = self.named_graphs()
        return ([self.graph, str(INFERRED_GRAPH)] if inferred else [self.graph]), named

    def _post(self, query: str, default: list[str], named: list[str], accept: str = "application/sparql-results+json"):  # type: ignore[no-untyped-def]
        data: dict[str, object] = {"query": query, "default-graph-uri": default}
        if named:
            data["named-graph-uri"] = named
        response = _send(self.client, "POST", self.url, "SPARQL query", data=data, headers={"Accept": accept})
        if accept.startswith("application/sparql-results+json"):
            try:
                return json.loads(response.text)
            except ValueError as exc:
                raise RemoteError(f"{self.url}: answered something that is not SPARQL JSON: "
                                  f"{response.text[:200]!r}") from exc
        return response

    def query(self, query: str, bindings: Mapping[str, Term] | None = None, *, inferred: bool = True):  # type: ignore[no-untyped-def]
        """Results for SELECT, bool for ASK, a list of rdflib triples for CONSTRUCT/DESCRIBE."""
        form = query_form(query)
        text = with_values(query, bindings)
        default, named = self._dataset(inferred)
        if form in ("SELECT", "ASK"):
            data = self._post(text, default, named)
            if "boolean" in data:
                return bool(data["boolean"])
            variables = list(data["head"]["vars"])
            rows = [tuple(_from_json(b.get(v)) for v in variables) for b in data["results"]["bindings"]]
            return Results(variables, rows)
        response = self._post(text, default, named, accept="application/n-triples, text/turtle;q=0.9")
        kind = response.headers.get("content-type", "text/turtle").split(";")[0].strip()
        g = Graph()
        try:
            g.parse(data=response.text, format="nt" if kind in ("application/n-triples", "text/plain") else "turtle")
        except Exception as exc:  # rdflib raises several unrelated types for bad syntax
            raise RemoteError(f"{self.url}: answered RDF ({kind}) that cannot be read: {exc}") from exc
        return list(g)

    def select(self, query: str, bindings: Mapping[str, Term] | None = None, *, inferred: bool = True) -> Results:
        result = self.query(query, bindings, inferred=inferred)
        if not isinstance(result, Results):
            raise UsageError("expected a SELECT query")
        return result

    def __len__(self) -> int:
        """Quads, counted as embedded: the editorial graph plus every named graph of the push."""
        named = self.named_graphs()
        own = self._post("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", [editorial_graph(self.graph)], [])
        rest = self._post("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", [self.graph], named)
        return sum(int(d["results"]["bindings"][0]["n"]["value"]) for d in (own, rest))

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

