"""A bounded load test of a running `khasan-kg serve` on 127.0.0.1.

    python benchmarks/loadtest.py --url http://127.0.0.1:8000 --clients 32 --seconds 30

CLIENTS concurrent clients, each sending one request after another for SECONDS: the named queries (their SPARQL
text, POSTed to /sparql, and the pages that run them: /timeline, /order-of-battle), entity pages and documents
(/id/…html, .ttl, .jsonld), and, from SLOW of the clients, queries too slow to finish, which the server must cut off
at its timeout with a 504. Prints throughput, p50/p99 latency per kind, and the error count: any answer other than
200 to a normal request, other than 504 to a slow one, or no answer at all. Exit status 1 if there were errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# Documents only: a fragment IRI (an OWL-Time interval …#time) is served as part of its document's page.
ENTITY_QUERY = """SELECT DISTINCT ?s WHERE { ?s a ?c FILTER(STRSTARTS(STR(?s), "https://w3id.org/khasan/id/")
  && !STRSTARTS(STR(?s), "https://w3id.org/khasan/id/passage/") && !CONTAINS(STR(?s), "#")) } LIMIT 500"""


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, kind: str, status: int, seconds: float, ok: bool, what: str) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        counts = self.statuses.setdefault(kind, {})
        counts[status] = counts.get(status, 0) + 1
        if not ok:
            self.errors.append(f"{kind} {what}: {status}")


def named_query_texts(folder: Path = QUERIES_DIR) -> list[str]:
    """The library's queries that run without a parameter (a required one is left unbound: still a fair load)."""
    texts = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        if "(iri, required)" not in text:
            texts.append(text)
    return texts


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def entity_paths(client: httpx.AsyncClient) -> list[str]:
    r = await client.post("/sparql", data={"query": ENTITY_QUERY},
                          headers={"Accept": "application/sparql-results+json"})
    r.raise_for_status()
    iris = [b["s"]["value"] for b in r.json()["results"]["bindings"]]
    return ["/id/" + iri.removeprefix("https://w3id.org/khasan/id/") for iri in iris]


async def client_loop(client: httpx.AsyncClient, tally: Tally, stop_at: float, slow: bool, rng: random.Random,
                      queries: list[str], entities: list[str]) -> None:
    while time.monotonic() < stop_at:
        if slow:
            kind, what, expect = "slow", "slow query", 504
            request = client.post("/sparql", data={"query": SLOW_QUERY})
        else:
            roll = rng.random()
            if roll < 0.35 and queries:
                kind, expect = "named-query", 200
                text = rng.choice(queries)
                what = text.splitlines()[0]
                request = client.post("/sparql", data={"query": text},
                                      headers={"Accept": "application/sparql-results+json"})
            elif roll < 0.45:
                kind, expect = "page", 200
                what = rng.choice(["/timeline", "/order-of-battle", "/"])
                request = client.get(what)
            else:
                kind, expect = "entity", 200
                what = rng.choice(entities) + rng.choice([".html", ".ttl", ".jsonld"])
                request = client.get(what)
        t0 = time.monotonic()
        try:
            response = await request
            status = response.status_code
        except httpx.HTTPError as exc:
            tally.add(kind, 0, time.monotonic() - t0, False, f"{what} ({type(exc).__name__})")
            continue
        tally.add(kind, status, time.monotonic() - t0, status == expect, what)


async def run(url: str, clients: int = 32, seconds: float = 30, slow_clients: int = 2, seed: int = 1938) -> dict:
    """Load the server at ``url``; a summary dict (see ``report``)."""
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        entities = await entity_paths(client)
        queries = named_query_texts()
        tally = Tally()
        t0 = time.monotonic()
        stop_at = t0 + seconds
        await asyncio.gather(*(
            client_loop(client, tally, stop_at, i < slow_clients, random.Random(rng.random()), queries, entities)
            for i in range(clients)
        ))
        elapsed = time.monotonic() - t0
    everything = [x for kind, xs in tally.latencies.items() if kind != "slow" for x in xs]
    return {
        "url": url, "clients": clients, "slow_clients": slow_clients, "seconds": round(elapsed, 2),
        "requests": sum(len(xs) for xs in tally.latencies.values()),
        "throughput_per_s": round(len(everything) / elapsed, 1),
        "p50_ms": round(percentile(everything, 50) * 1000, 1),
        "p99_ms": round(percentile(everything, 99) * 1000, 1),
        "by_kind": {kind: {"n": len(xs), "p50_ms": round(percentile(xs, 50) * 1000, 1),
                           "p99_ms": round(percentile(xs, 99) * 1000, 1),
                           "statuses": {str(k): v for k, v in sorted(tally.statuses[kind].items())}}
                    for kind, xs in sorted(tally.latencies.items())},
        "errors": len(tally.errors),
        "error_samples": tally.errors[:10],
    }


def report(summary: dict) -> str:
    lines = [
        f"{summary['clients']} clients ({summary['slow_clients']} sending slow queries) for {summary['seconds']} s "
        f"against {summary['url']}",
        f"requests: {summary['requests']}; throughput (normal requests): {summary['throughput_per_s']}/s; "
        f"p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms; errors: {summary['errors']}",
    ]
    for kind, k in summary["by_kind"].items():
        lines.append(f"  {kind:12} n={k['n']:<6} p50 {k['p50_ms']:>8} ms  p99 {k['p99_ms']:>8} ms  "
                     f"statuses {k['statuses']}")
    lines += [f"  error: {e}" for e in summary["error_samples"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the server (default http://127.0.0.1:8000)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--slow", type=int, default=2, help="how many of the clients send slow queries (default 2)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        parser.error("the load test only runs against a server on this machine (127.0.0.1)")
    summary = asyncio.run(run(args.url, args.clients, args.seconds, args.slow))
    print(json.dumps(summary, indent=2) if args.json else report(summary))
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
