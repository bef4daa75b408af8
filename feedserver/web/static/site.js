// A little progressive enhancement; every page works without it.
// Copy buttons: <button data-copy="#input-id">Copy</button> copies that input's value.
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(source.value || source.textContent);
    button.textContent = "Copied";
  } catch {
    source.select?.();  // no clipboard access (plain http): select it for Ctrl+C
    button.textContent = "Press Ctrl+C";
  }
  setTimeout(() => { button.textContent = label; }, 2000);
});

// Drafts: a form with data-draft="KEY" keeps what is typed in this browser (localStorage) until
// it is sent, and puts it back when the page is opened again with the form empty. The login page
// shown for a form sent after the session ended hands the text over ([data-keep-draft]), so
// logging in again brings the member back to the form with their text in it.
const DRAFT_FIELDS = ["title", "body", "tags"];

function draftStore() {
  try { return window.localStorage; } catch { return null; }
}

function draftFields(form) {
  return DRAFT_FIELDS.map((name) => form.elements.namedItem(name))
    .filter((el) => el && "value" in el && el.type !== "hidden");
}

for (const kept of document.querySelectorAll("[data-keep-draft]")) {
  const values = {};
  for (const area of kept.querySelectorAll("textarea[data-name]")) values[area.dataset.name] = area.value;
  draftStore()?.setItem("draft:" + kept.dataset.keepDraft, JSON.stringify(values));
}

for (const form of document.querySelectorAll("form[data-draft]")) {
  const store = draftStore();
  if (!store) break;
  const key = "draft:" + form.dataset.draft;
  const fields = draftFields(form);
  let saved = null;
  try { saved = JSON.parse(store.getItem(key) || "null"); } catch { saved = null; }
  if (saved && fields.every((el) => !el.value.trim())) {
    for (const el of fields) if (typeof saved[el.name] === "string") el.value = saved[el.name];
    const note = document.createElement("p");
    note.className = "draft-note";
    note.setAttribute("role", "status");
    note.textContent = "Your unsent text is back.";
    form.prepend(note);
    const details = form.closest("details");
    if (details) details.open = true;
  }
  form.addEventListener("input", () => {
    const values = {};
    for (const el of fields) if (el.value.trim()) values[el.name] = el.value;
    if (Object.keys(values).length) store.setItem(key, JSON.stringify(values));
    else store.removeItem(key);
  });
  form.addEventListener("submit", () => store.removeItem(key));
}

// Relative times: "3 hours ago", with the exact time (as the server wrote it) on hover.
const TIME_UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
  ["hour", 3600], ["minute", 60]];
const relative = new Intl.RelativeTimeFormat("en", {numeric: "auto"});
// The server writes microseconds; Date.parse takes at most milliseconds.
const parseTime = (text) => Date.parse((text || "").replace(/(\.\d{3})\d+/, "$1"));
for (const stamp of document.querySelectorAll("time[datetime]")) {
  const at = parseTime(stamp.getAttribute("datetime"));
  if (Number.isNaN(at)) continue;
  const seconds = (at - Date.now()) / 1000;
  if (!stamp.title) stamp.title = stamp.textContent.trim();
  let text = "just now";
  for (const [unit, size] of TIME_UNITS) {
    if (Math.abs(seconds) >= size) { text = relative.format(Math.round(seconds / size), unit); break; }
  }
  stamp.textContent = text;
}

// "New since your last visit": on a page that keeps visits ([data-visit]: a group, a thread),
// the [data-new-at] items written after this browser last opened it get a marker.
// The first visit marks nothing (everything would be new).
{
  const store = draftStore();
  const items = document.querySelectorAll("[data-new-at]");
  if (store && document.querySelector("[data-visit]")) {
    const key = "seen:" + location.pathname;
    const last = Date.parse(store.getItem(key) || "");
    if (!Number.isNaN(last)) {
      for (const item of items) {
        if (parseTime(item.dataset.newAt) > last) {
          const mark = document.createElement("span");
          mark.className = "badge new";
          mark.textContent = "new";
          (item.querySelector(".post-line, .meta") || item).append(" ", mark);
        }
      }
    }
    store.setItem(key, new Date().toISOString());
  }
}

// Markdown preview: the server renders it with the same Markdown and sanitizer as a post
// (POST /preview, CSRF-checked like every form), so what is shown is what will be posted.
for (const area of document.querySelectorAll("textarea[data-preview]")) {
  const form = area.form;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "small secondary";
  button.textContent = "Preview";
  const shown = document.createElement("div");
  shown.className = "preview body";
  shown.hidden = true;
  shown.setAttribute("aria-live", "polite");
  shown.setAttribute("aria-label", "Preview");
  area.after(button, shown);
  button.addEventListener("click", async () => {
    const body = new URLSearchParams({csrf: form.elements.namedItem("csrf").value, body: area.value});
    const response = await fetch("/preview", {method: "POST", body, credentials: "same-origin"});
    if (!response.ok) return;
    const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
    shown.replaceChildren(...parsed.body.childNodes);
    shown.hidden = false;
  });
}

// Similar questions while a question's title is typed (the search index, as the viewer may
// read it): has someone asked this already?
for (const title of document.querySelectorAll("input[data-similar]")) {
  const list = document.getElementById(title.dataset.similar);
  let timer = null;
  let asked = "";
  title.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = title.value.trim();
      if (q === asked) return;
      asked = q;
      if (q.length < 4) { list.replaceChildren(); return; }
      const response = await fetch("/search/similar?q=" + encodeURIComponent(q), {credentials: "same-origin"});
      if (!response.ok || q !== asked) return;
      const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
      list.replaceChildren(...parsed.body.childNodes);
    }, 250);
  });
}
