// The query page: run the query with fetch and show the answer as a table (plain form POST without script).
(function () {
  const form = document.getElementById("sparql-form");
  const query = document.getElementById("query");
  const fmt = document.getElementById("accept");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const accepts = {json: "application/sparql-results+json, text/turtle;q=0.9", csv: "text/csv", tsv: "text/tab-separated-values",
                   xml: "application/sparql-results+xml, application/rdf+xml;q=0.9"};
  document.querySelectorAll("button.example").forEach(function (b) {
    b.addEventListener("click", function () {
      query.value = document.getElementById("q-" + b.dataset.name).value.trim();
      query.focus();
    });
  });
  function cell(term) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri") {
      const a = document.createElement("a");
      const id = "https://w3id.org/khasan/id/";
      a.href = term.value.startsWith(id) ? "/id/" + term.value.slice(id.length) : term.value;
      a.textContent = term.value.startsWith(id) ? term.value.slice(id.length) : term.value;
      td.appendChild(a);
    } else {
      td.textContent = term.value;
      if (term["xml:lang"]) { td.lang = term["xml:lang"]; }
    }
    return td;
  }
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    status.textContent = "running…";
    results.textContent = "";
    const started = performance.now();
    try {
      const response = await fetch("/sparql", {method: "POST", body: query.value,
        headers: {"Content-Type": "application/sparql-query", "Accept": accepts[fmt.value]}});
      const type = response.headers.get("Content-Type") || "";
      const ms = Math.round(performance.now() - started);
      const cut = response.headers.get("Khasan-Truncated");
      if (!response.ok) {
        status.textContent = response.status + " " + response.statusText + " (" + ms + " ms)";
        const pre = document.createElement("pre"); pre.className = "error"; pre.textContent = await response.text();
        results.appendChild(pre); return;
      }
      if (type.startsWith("application/sparql-results+json")) {
        const data = await response.json();
        if ("boolean" in data) { status.textContent = "ASK: " + data.boolean + " (" + ms + " ms)"; return; }
        const table = document.createElement("table"); table.className = "facts";
        const head = table.createTHead().insertRow();
        data.head.vars.forEach(function (v) { const th = document.createElement("th"); th.textContent = v; head.appendChild(th); });
        const body = table.createTBody();
        data.results.bindings.forEach(function (b) {
          const tr = body.insertRow();
          data.head.vars.forEach(function (v) { tr.appendChild(cell(b[v])); });
        });
        results.appendChild(table);
        status.textContent = data.results.bindings.length + " rows (" + ms + " ms)" + (cut ? " — truncated at the limit" : "");
      } else {
        const pre = document.createElement("pre"); pre.textContent = await response.text(); results.appendChild(pre);
        status.textContent = type.split(";")[0] + " (" + ms + " ms)" + (cut ? " — truncated at the limit" : "");
      }
    } catch (err) {
      status.textContent = "failed: " + err;
    }
  });
})();
