// Accessible search over the Pagefind index: a labelled form, results announced in a status region.
const form = document.getElementById("search-form");
const input = document.getElementById("search-input");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const root = new URL(form.dataset.siteRoot, document.baseURI);
const pagefind = await import(new URL("pagefind/pagefind.js", root).href);
await pagefind.options({ baseUrl: root.pathname });
// A large site's index is written in parts at once; Pagefind searches them as one.
for (const part of form.dataset.indexParts.split(" ").filter(Boolean)) {
  await pagefind.mergeIndex(new URL(part, root).pathname, { baseUrl: root.pathname });
}
let latest = 0;

const SELECTS = [...form.querySelectorAll("select")].map((select) => select.name);

function readForm() {
  const data = new FormData(form);
  const state = { q: (data.get("q") || "").trim(), areas: data.getAll("area"), selected: {} };
  for (const name of SELECTS) if (data.get(name)) state.selected[name] = data.get(name);
  return state;
}

function writeForm(params) {
  input.value = params.get("q") || "";
  const areas = params.getAll("area");
  for (const box of form.querySelectorAll("input[name=area]")) box.checked = areas.includes(box.value);
  for (const name of SELECTS) form.elements[name].value = params.get(name) || "";
}

function filtered(state) {
  return state.areas.length > 0 || Object.keys(state.selected).length > 0;
}

function filtersFor(state) {
  const filters = { ...state.selected };
  if (state.areas.length) filters.area = { any: state.areas };
  return filters;
}

function describe(count, state) {
  const what = state.q ? `for “${state.q}”` : "";
  const narrowed = filtered(state) ? " with the filters you chose" : "";
  if (!count) return `No results ${what}${narrowed}. Try other words, or clear the filters.`;
  return `${count} ${count === 1 ? "result" : "results"} ${what}${narrowed}`.replace(/\s+/g, " ").trim();
}

function renderResult(data) {
  const item = document.createElement("li");
  item.className = "search-results__item";
  const heading = document.createElement("h2");
  heading.className = "search-results__title";
  const link = document.createElement("a");
  link.href = data.url;
  link.textContent = data.meta.title || data.url;
  heading.append(link);
  const summary = document.createElement("p");
  summary.textContent = data.meta.summary || data.excerpt.replace(/<[^>]+>/g, "");
  item.append(heading, summary);
  const about = [...(data.filters.type || []), data.meta.organisation].filter(Boolean);
  if (about.length) {
    const kind = document.createElement("p");
    kind.className = "hint";
    kind.textContent = about.join(", "); // what it is and whose it is, such as "Case study, London Borough of Havering"
    item.append(kind);
  }
  return item;
}

async function run() {
  const state = readForm();
  const ticket = ++latest;
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  state.areas.forEach((a) => params.append("area", a));
  for (const [name, value] of Object.entries(state.selected)) params.set(name, value);
  history.replaceState(null, "", params.toString() ? `?${params}` : location.pathname);
  if (!state.q && !filtered(state)) {
    list.replaceChildren();
    status.textContent = "";
    return;
  }
  const search = await pagefind.search(state.q || null, { filters: filtersFor(state) });
  const results = await Promise.all(search.results.slice(0, 50).map((r) => r.data()));
  if (ticket !== latest) return;
  list.replaceChildren(...results.map(renderResult));
  status.textContent = describe(search.results.length, state);
}

let timer;
form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 250); });
form.addEventListener("change", (event) => { if (event.target !== input) run(); });
writeForm(new URLSearchParams(location.search));
run();
