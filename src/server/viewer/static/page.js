// What the viewer's pages (index.html, grid.html) share: the status line, the error list, and the token that opens
// private tilesets.
/* global document, window, URLSearchParams */

export const $ = (id) => document.getElementById(id);

/** `body[data-state]` (loading, idle, empty, error) is what the page tests wait for. */
export function setState(value, message = '') {
  document.body.dataset.state = value;
  $('status').textContent = message;
}

/** Errors stay listed until the view changes (a map that reaches idle does not wipe them); the same one is shown once. */
export function showError(message) {
  const list = $('errors');
  if ([...list.children].some((item) => item.textContent === message)) return;
  const item = document.createElement('li');
  item.textContent = message;
  list.append(item);
  while (list.children.length > 5) list.firstElementChild.remove();
}

// `?token=T` shows the private tilesets that token opens: every request to this server carries it as a
// bearer token (not in URLs, which end up in logs and shared links); other origins never see it.
export const token = new URLSearchParams(window.location.search).get('token') || undefined;

/** The headers a request to `url` carries: the token, only for the server at `base`. */
export function authorizationFor(base) {
  return (url) => (token && new URL(url, base).origin === base.origin ? { Authorization: `Bearer ${token}` } : {});
}
