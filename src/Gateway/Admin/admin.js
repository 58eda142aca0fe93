// The admin page: signs in with the phone code like any client, then calls /api/admin/. Tokens live in
// sessionStorage (gone with the tab); every value from the server is written with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const store = window.sessionStorage;
let phone = "";
let nextCursor = null;
let current = null;

function say(text) { $("message").textContent = text || ""; }

function show(section) {
  for (const id of ["sign-in", "users", "user"]) $(id).hidden = id !== section;
  $("sign-out").hidden = section === "sign-in";
}

async function call(method, path, body, retried) {
  const headers = { "Accept": "application/json" };
  const access = store.getItem("access");
  if (access) headers["Authorization"] = "Bearer " + access;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && !retried && await refresh()) return call(method, path, body, true);
  const json = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401) { signOutLocally(); throw new Error("Your session has ended; sign in again."); }
  if (!response.ok) throw new Error((json && json.error) || ("Request failed (" + response.status + ")."));
  return json;
}

async function refresh() {
  const token = store.getItem("refresh");
  if (!token) return false;
  const response = await fetch("/api/users/token/refresh/", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh: token }),
  });
  if (!response.ok) return false;
  const json = await response.json();
  store.setItem("access", json.access);
  store.setItem("refresh", json.refresh);
  return true;
}

function signOutLocally() {
  store.removeItem("access");
  store.removeItem("refresh");
  $("code-form").hidden = true;
  show("sign-in");
}

function deviceId() {
  let id = store.getItem("device");
  if (!id) {
    id = "admin-" + crypto.randomUUID();
    store.setItem("device", id);
  }
  return id;
}

$("phone-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  phone = $("phone").value.trim();
  try {
    await call("POST", "/api/users/auth/", { phone });
    $("code-form").hidden = false;
    $("code").focus();
    say("A code was sent to " + phone + ".");
  } catch (e) { say(e.message); }
});

$("code-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const json = await call("POST", "/api/users/auth/", {
      phone, code: $("code").value.trim(), device_id: deviceId(), device_name: "Admin page",
    });
    store.setItem("access", json.access);
    store.setItem("refresh", json.refresh);
    $("code").value = "";
    await openUsers();
  } catch (e) { say(e.message); }
});

$("sign-out").addEventListener("click", async () => {
  try { await call("POST", "/api/users/logout/"); } catch { /* signed out either way */ }
  signOutLocally();
  say("Signed out.");
});

async function openUsers() {
  try {
    await search(false);
    show("users");
    say("");
  } catch (e) {
    if (/admin role/.test(e.message)) {
      try { await call("POST", "/api/users/logout/"); } catch { /* signed out either way */ }
      signOutLocally();
    }
    say(e.message);
  }
}

async function search(more) {
  const query = new URLSearchParams();
  const byPhone = $("search-phone").value.trim();
  const byName = $("search-name").value.trim();
  if (byPhone) query.set("phone", byPhone);
  if (byName) query.set("name", byName);
  query.set("limit", "25");
  if (more && nextCursor) query.set("cursor", nextCursor);
  const page = await call("GET", "/api/admin/users/?" + query.toString());
  if (!more) $("results").replaceChildren();
  for (const user of page.results) $("results").append(userItem(user));
  nextCursor = page.next_cursor;
  $("more").hidden = !nextCursor;
  if (!more && page.results.length === 0) say("No users match.");
}

function userItem(user) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.userId = user.id;
  const name = document.createElement("strong");
  name.textContent = (user.first_name + " " + user.last_name).trim() || "(no name)";
  const details = document.createElement("div");
  details.className = "muted";
  details.textContent = user.phone + " · " + user.role + (user.is_active ? "" : " · inactive");
  button.append(name, details);
  button.addEventListener("click", () => openUser(user.id));
  item.append(button);
  return item;
}

$("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  say("");
  try { await search(false); } catch (e) { say(e.message); }
});

$("more").addEventListener("click", async () => {
  try { await search(true); } catch (e) { say(e.message); }
});

$("back").addEventListener("click", async () => {
  show("users");
  try { await search(false); } catch (e) { say(e.message); }
});

async function openUser(id) {
  try {
    current = await call("GET", "/api/admin/users/" + encodeURIComponent(id) + "/");
    renderUser();
    show("user");
    say("");
    await loadPhone();
  } catch (e) { say(e.message); }
}

function fields(list, pairs) {
  list.replaceChildren();
  for (const [label, value] of pairs) {
    const term = document.createElement("dt");
    term.textContent = label;
    const definition = document.createElement("dd");
    definition.textContent = value === null || value === undefined || value === "" ? "—" : String(value);
    list.append(term, definition);
  }
}

function renderUser() {
  const u = current;
  $("user-name").textContent = (u.first_name + " " + u.last_name).trim() || u.phone;
  fields($("user-fields"), [
    ["Phone", u.phone], ["Status", u.is_active ? "active" : "inactive"], ["Role", u.role],
    ["Passport", u.passport_id], ["Address", u.address], ["Joined", new Date(u.date_joined).toLocaleString()],
    ["Old id", u.legacy_id], ["User id", u.id],
  ]);
  $("user-fields").querySelectorAll("dd")[1].className = u.is_active ? "" : "inactive";
  $("toggle-active").textContent = u.is_active ? "Deactivate" : "Activate";
  $("toggle-active").className = u.is_active ? "danger" : "";
  $("sessions").replaceChildren();
  for (const s of u.sessions) {
    const item = document.createElement("li");
    const line = document.createElement("span");
    line.textContent = (s.device_name || s.device_id) + " · last seen " + new Date(s.last_seen_at).toLocaleString() + (s.ip ? " · " + s.ip : "");
    item.append(line);
    $("sessions").append(item);
  }
  if (u.sessions.length === 0) {
    const item = document.createElement("li");
    const line = document.createElement("span");
    line.className = "muted";
    line.textContent = "No sessions.";
    item.append(line);
    $("sessions").append(item);
  }
}

async function loadPhone(state) {
  const s = state || await call("GET", "/api/admin/phones/" + encodeURIComponent(current.phone) + "/");
  fields($("phone-fields"), [
    ["Code outstanding", s.code_outstanding ? "yes, until " + new Date(s.code_expires_at).toLocaleTimeString() : "no"],
    ["Attempts left", s.code_outstanding ? s.attempts_left : null],
    ["Codes sent this hour", s.sends_in_window],
    ["Locked until", s.locked_until ? new Date(s.locked_until).toLocaleString() : "not locked"],
  ]);
  $("unlock-phone").disabled = !s.locked_until;
}

$("toggle-active").addEventListener("click", async () => {
  const activate = !current.is_active;
  if (!activate && !window.confirm("Deactivate this user? Every session ends now.")) return;
  try {
    current = await call("PATCH", "/api/admin/users/" + current.id + "/", { is_active: activate });
    renderUser();
    say(activate ? "User activated." : "User deactivated; its sessions are revoked.");
  } catch (e) { say(e.message); }
});

$("revoke-sessions").addEventListener("click", async () => {
  try {
    await call("DELETE", "/api/admin/users/" + current.id + "/sessions/");
    current = await call("GET", "/api/admin/users/" + current.id + "/");
    renderUser();
    say("All sessions revoked.");
  } catch (e) { say(e.message); }
});

$("unlock-phone").addEventListener("click", async () => {
  try {
    await loadPhone(await call("POST", "/api/admin/phones/" + encodeURIComponent(current.phone) + "/unlock/"));
    say("Phone unlocked.");
  } catch (e) { say(e.message); }
});

if (store.getItem("access")) openUsers(); else show("sign-in");
