// Accessible search over the Pagefind index: a labelled form, results announced in a status region.
//
// A resident's question is read as words, not as a phrase that must be found whole: common words ("what has the
// council done for") are left out, each other word is looked for with the words that mean the same for search
// (content/synonyms.yaml), and pages are ranked by how many of the words they have, then by Pagefind's score.
// A word that matches nothing finds nothing: Pagefind, finding no word that starts with a query word, tries ever
// shorter beginnings of it ("notaword" finds "not"); such matches are dropped.
const form = document.getElementById("search-form");
const input = document.getElementById("search-input");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const filtersCount = document.getElementById("filters-count");
const root = new URL(form.dataset.siteRoot, document.baseURI);
const synonyms = JSON.parse(form.dataset.synonyms || "[]");
const pagefind = await import(new URL("pagefind/pagefind.js", root).href);
await pagefind.options({ baseUrl: root.pathname });
// A large site's index is written in parts at once; Pagefind searches them as one.
for (const part of form.dataset.indexParts.split(" ").filter(Boolean)) {
  await pagefind.mergeIndex(new URL(part, root).pathname, { baseUrl: root.pathname });
}
let latest = 0;

const SELECTS = [...form.querySelectorAll("select")].map((select) => select.name);
const COMMON = new Set(("a about all an and any are as at be been by can council councils did do does done for from " +
  "has have help how i in into is it its me my of on or our show shows the their them there they this to us was " +
  "we were what when where which who with you your").split(" "));
const SHOWN = 50; // results listed at most

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

function filtersOn(state) {
  return state.areas.length + Object.keys(state.selected).length;
}

function filtersFor(state) {
  const chosen = { ...state.selected };
  if (state.areas.length) chosen.area = { any: state.areas };
  return chosen;
}

function fold(text) {
  return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
}

function words(text) {
  return fold(text).match(/[\p{L}\p{N}]+(?:[.'’][\p{L}\p{N}]+)*/gu) || [];
}

// The question as groups of alternatives: a phrase or word of a synonym group brings in the whole group.
function alternatives(query) {
  let rest = ` ${words(query).join(" ")} `;
  const groups = [];
  for (const group of synonyms) {
    const phrases = group.map((phrase) => words(phrase).join(" ")).filter(Boolean);
    const found = phrases.find((phrase) => rest.includes(` ${phrase} `));
    if (found) {
      groups.push(phrases);
      rest = rest.replaceAll(` ${found} `, " ");
    }
  }
  for (const word of rest.split(" ").filter((w) => w && !COMMON.has(w))) groups.push([word]);
  if (!groups.length && words(query).length) groups.push([words(query).join(" ")]); // only common words: as typed
  return groups;
}

// Whether a page really has each word of a search, not just a shorter beginning of it that Pagefind fell back on.
// Two letters of difference are allowed at the end, for the forms Pagefind's stemming joins (disabled, disability).
function honest(page, alternative) {
  const text = ` ${words(`${page.meta.title || ""} ${page.content}`).join(" ")}`;
  return words(alternative).every((word) => text.includes(` ${word.length > 4 ? word.slice(0, -2) : word}`));
}

async function searchGroup(group, chosen) {
  const best = new Map(); // url → { result, score }
  for (const alternative of group) {
    const found = await pagefind.search(alternative, { filters: chosen });
    if (!found.results.length || !honest(await found.results[0].data(), alternative)) continue;
    for (const result of found.results) {
      const known = best.get(result.id);
      if (!known || result.score > known.score) best.set(result.id, { result, score: result.score });
    }
  }
  return best;
}

async function ranked(state) {
  const chosen = filtersFor(state);
  if (!state.q) {
    const found = await pagefind.search(null, { filters: chosen });
    return found.results.map((result) => ({ result, score: 0 }));
  }
  const totals = new Map(); // id → { result, matched, score }
  for (const group of alternatives(state.q)) {
    for (const [id, { result, score }] of await searchGroup(group, chosen)) {
      const total = totals.get(id) || { result, matched: 0, score: 0 };
      totals.set(id, { result, matched: total.matched + 1, score: total.score + score });
    }
  }
  return [...totals.values()].sort((a, b) => b.matched - a.matched || b.score - a.score);
}

function excerpt(data) {
  // Pagefind's excerpt is a window of the page's text with the matched words in <mark>: it is shown as text with
  // those words marked, and with an ellipsis where it does not start or end with the page's text.
  const parsed = new DOMParser().parseFromString(`<p>${data.excerpt}</p>`, "text/html");
  const paragraph = document.createElement("p");
  paragraph.className = "search-results__excerpt";
  const plain = parsed.body.textContent.trim();
  const content = data.content.replace(/\s+/g, " ").trim();
  if (!content.startsWith(plain.slice(0, 40))) paragraph.append("… ");
  for (const node of parsed.body.firstChild.childNodes) {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      paragraph.append(mark);
    } else {
      paragraph.append(node.textContent);
    }
  }
  if (!content.endsWith(plain.slice(-40))) paragraph.append(" …");
  return paragraph;
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
  item.append(heading);
  if (data.meta.summary) {
    const summary = document.createElement("p");
    summary.textContent = data.meta.summary;
    item.append(summary);
  }
  if (data.excerpt && /<mark>/.test(data.excerpt)) item.append(excerpt(data));
  const about = [...(data.filters.type || []), data.meta.organisation].filter(Boolean);
  if (about.length) {
    const kind = document.createElement("p");
    kind.className = "hint";
    kind.textContent = about.join(", "); // what it is and whose it is, such as "Case study, London Borough of Havering"
    item.append(kind);
  }
  return item;
}

function describe(count, state) {
  const what = state.q ? `for “${state.q}”` : "";
  const narrowed = filtersOn(state) ? " with the filters you chose" : "";
  if (!count) return `No results ${what}${narrowed}. Try other words${narrowed ? ", or clear the filters" : ""}.`;
  return `${count} ${count === 1 ? "result" : "results"} ${what}${narrowed}`.replace(/\s+/g, " ").trim();
}

function showFilters(state) {
  const on = filtersOn(state);
  filtersCount.textContent = on ? `(${on} on)` : "(none on)";
}

async function run() {
  const state = readForm();
  const ticket = ++latest;
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  state.areas.forEach((a) => params.append("area", a));
  for (const [name, value] of Object.entries(state.selected)) params.set(name, value);
  history.replaceState(null, "", params.toString() ? `?${params}` : location.pathname);
  showFilters(state);
  if (!state.q && !filtersOn(state)) {
    list.replaceChildren();
    status.textContent = "";
    return;
  }
  const results = await ranked(state);
  const shown = await Promise.all(results.slice(0, SHOWN).map(({ result }) => result.data()));
  if (ticket !== latest) return;
  list.replaceChildren(...shown.map(renderResult));
  status.textContent = describe(results.length, state);
}

let timer;
form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 250); });
form.addEventListener("change", (event) => { if (event.target !== input) run(); });
document.getElementById("clear-filters").addEventListener("click", () => {
  for (const box of form.querySelectorAll("input[name=area]")) box.checked = false;
  for (const name of SELECTS) form.elements[name].value = "";
  run();
});
writeForm(new URLSearchParams(location.search));
run();
