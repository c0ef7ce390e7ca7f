// Small behaviours the pages need; no framework. htmx does the requests.
// The pages' CSP allows no inline script and no eval, so everything is wired here by delegation.

/** Inputs whose error slot (`<id>-error`, filled out of band by the server) has text are marked invalid. */
function markFieldErrors(scope) {
  for (const slot of scope.querySelectorAll('.field-error[id$="-error"]')) {
    const input = document.getElementById(slot.id.slice(0, -'-error'.length));
    if (!input) continue;
    if (slot.textContent.trim()) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}

document.addEventListener('htmx:after:swap', (event) => {
  // After a swap, put focus on the first field in error of the form (or list) the request was
  // about, for keyboard users. Only there: a card re-tested in the background must not steal focus.
  const target = event.detail?.ctx?.target;
  if (!(target instanceof Element) || !target.isConnected) return;
  const scope = target.closest('form') ?? target;
  markFieldErrors(scope);
  const invalid = scope.querySelector('[aria-invalid="true"]');
  if (invalid instanceof HTMLElement) invalid.focus();
});

// --- Dialogs: content is swapped into `.dialog-body`, then the dialog opens as a modal. ---
// showModal() moves focus into the dialog, keeps it there and closes on Escape.

let opener = null;

document.addEventListener('htmx:after:swap', (event) => {
  const target = event.detail?.ctx?.target;
  if (!(target instanceof Element) || !target.matches('.dialog-body')) return;
  const dialog = target.closest('dialog');
  if (!dialog || dialog.open) return;
  opener = event.detail.ctx.sourceElement ?? null;
  dialog.showModal();
});

document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-close-dialog]') : null;
  button?.closest('dialog')?.close();
});

// `close` does not bubble; capturing at the document sees every dialog's.
document.addEventListener(
  'close',
  (event) => {
    const dialog = event.target;
    if (!(dialog instanceof HTMLDialogElement)) return;
    dialog.querySelector('.dialog-body')?.replaceChildren();
    // The browser returns focus to the button that opened the dialog; when a swap has replaced
    // that button (a re-tested card), focus its card instead, or the page's heading.
    const wanted = dialog.dataset.focusAfter && document.getElementById(dialog.dataset.focusAfter);
    delete dialog.dataset.focusAfter;
    const card = opener?.closest?.('article[id]');
    const fallback = (card && document.getElementById(card.id)) || document.querySelector('main h1');
    const lost = document.activeElement === document.body || document.activeElement === null;
    const next = wanted || (lost ? fallback : null);
    if (next instanceof HTMLElement) next.focus();
    opener = null;
  },
  true,
);

// The server answers a save or delete with the fresh list and one of these events.
document.addEventListener('connections:saved', (event) => closeDialogOf(event.target, `connection-${event.detail?.id}`));
document.addEventListener('connections:deleted', (event) => closeDialogOf(event.target, 'connections-title'));

function closeDialogOf(element, focusId) {
  const dialog = element instanceof Element ? element.closest('dialog') : null;
  if (!dialog) return;
  dialog.dataset.focusAfter = focusId;
  dialog.close();
}

// --- The connection wizard: Save is offered only for settings that passed a test. ---

/** The form's settings as one string; the name and CSRF token are not settings. */
function settingsOf(form) {
  const entries = [...new FormData(form)].filter(([key]) => key !== '_csrf' && key !== 'name');
  return JSON.stringify(entries.map(([key, value]) => [key, typeof value === 'string' ? value : value.name]));
}

function updateSave(form) {
  const save = form.querySelector('[data-save]');
  if (!save) return;
  const tested = form.dataset.tested;
  const ok = tested !== undefined && tested === settingsOf(form);
  save.hidden = !ok;
  save.disabled = !ok;
  const stale = tested !== undefined && !ok;
  form.classList.toggle('is-stale', stale);
  const note = form.querySelector('[data-stale]');
  if (note) note.hidden = !stale;
}

document.addEventListener('htmx:before:request', (event) => {
  const source = event.target;
  if (!(source instanceof Element) || !source.matches('[data-test-button]')) return;
  // What is tested is what was sent, even if a field changes while the test runs.
  const form = source.closest('form[data-wizard]');
  if (form) form.dataset.pending = settingsOf(form);
});

document.addEventListener('htmx:after:swap', (event) => {
  const target = event.detail?.ctx?.target;
  const form = target instanceof Element && target.isConnected ? target.closest('form[data-wizard]') : null;
  if (!form) return;
  const result = form.querySelector('[data-test-result]');
  // A refusal that is no test's outcome (a name already taken) leaves the last test standing.
  if (result) {
    if (result.dataset.testOk === 'true' && form.dataset.pending !== undefined) form.dataset.tested = form.dataset.pending;
    else delete form.dataset.tested;
  }
  updateSave(form);
  // Show the outcome and the buttons under it; a field in error has taken the focus (and view) instead.
  if (!form.querySelector('[aria-invalid="true"]')) form.querySelector('.actions')?.scrollIntoView({ block: 'nearest' });
});

for (const type of ['input', 'change']) {
  document.addEventListener(type, (event) => {
    const form = event.target instanceof Element ? event.target.closest('form[data-wizard]') : null;
    if (form) updateSave(form);
  });
}

// Enter in a field tests the settings while there is nothing to save yet.
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' || !(event.target instanceof HTMLInputElement)) return;
  const form = event.target.closest('form[data-wizard]');
  if (!form || !form.querySelector('[data-save]')?.disabled) return;
  event.preventDefault();
  form.querySelector('[data-test-button]')?.click();
});
