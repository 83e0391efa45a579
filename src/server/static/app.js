// snagsync web UI: progressive enhancement, no framework, no build step. Every page works without this file
// (links open form pages, forms POST and re-render with inline errors); with it:
//  - links marked data-dialog open their page as a modal overlay (the server sends the bare content when asked with
//    X-Snagsync-Fragment: 1); focus is trapped inside, Escape closes it, focus goes back to the opener;
//  - forms marked data-enhance are submitted by fetch (CSRF token in the X-CSRF-Token header, from the csrf-token
//    meta tag) and the JSON answer is applied in place: inline errors on the fields (what was typed stays, a
//    rejected token is emptied), or a new/updated tile (selected and focused), or a removed tile, or a redirect;
//  - a select with data-custom-toggle shows its "own value" input only while that option is chosen.
(() => {
  'use strict';

  const FOCUSABLE =
    'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
    'textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

  const dialog = document.getElementById('dialog');
  const dialogBody = document.getElementById('dialog-body');
  /** The element that opened the overlay: focus returns to it on close. */
  let opener = null;
  /** Where focus goes instead when the overlay closes (a new tile). */
  let focusAfterClose = null;

  const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const visible = (el) => !el.closest('[hidden]') && el.getClientRects().length > 0;
  const focusables = (root) => [...root.querySelectorAll(FOCUSABLE)].filter(visible);
  const loginUrl = () => `/login?next=${encodeURIComponent(location.pathname + location.search)}`;

  // ---- host select: show the custom URL input only for the custom option --------------------------------------
  function syncCustomToggle(select) {
    const wrap = document.querySelector(`[data-custom-wrap="${CSS.escape(select.dataset.customToggle)}"]`);
    if (wrap) wrap.hidden = select.value !== select.dataset.customValue;
  }
  function enhance(root) {
    root.querySelectorAll('select[data-custom-toggle]').forEach(syncCustomToggle);
  }
  document.addEventListener('change', (e) => {
    const t = e.target;
    if (t instanceof HTMLSelectElement && t.dataset.customToggle) {
      syncCustomToggle(t);
      if (t.value === t.dataset.customValue) document.getElementById(t.dataset.customToggle)?.focus();
    }
  });

  // ---- the overlay --------------------------------------------------------------------------------------------
  async function openDialog(url, from) {
    if (!dialog || !dialogBody) return location.assign(url);
    let res;
    try {
      res = await fetch(url, { headers: { 'X-Snagsync-Fragment': '1', Accept: 'text/html' }, credentials: 'same-origin' });
    } catch {
      return location.assign(url);
    }
    if (res.redirected && new URL(res.url).pathname === '/login') return location.assign(loginUrl());
    if (!res.ok) return location.assign(url);
    dialogBody.innerHTML = await res.text();
    opener = from;
    focusAfterClose = null;
    const title = dialogBody.querySelector('[data-dialog-title]');
    if (title) {
      title.id = title.id || 'dialog-title';
      dialog.setAttribute('aria-labelledby', title.id);
    }
    enhance(dialogBody);
    if (!dialog.open) dialog.showModal();
    const first = dialogBody.querySelector('[aria-invalid="true"]') || dialogBody.querySelector('[data-autofocus]') || focusables(dialogBody)[0];
    (first || dialog).focus();
  }

  function closeDialog(focusTarget) {
    focusAfterClose = focusTarget || null;
    if (dialog?.open) dialog.close();
  }

  if (dialog) {
    dialog.addEventListener('close', () => {
      const target = focusAfterClose && document.contains(focusAfterClose) ? focusAfterClose : opener && document.contains(opener) ? opener : null;
      dialogBody.innerHTML = '';
      dialog.removeAttribute('aria-labelledby');
      opener = null;
      focusAfterClose = null;
      target?.focus();
    });
    // Focus stays inside the overlay: Tab from the last control goes to the first, Shift+Tab from the first to the last.
    dialog.addEventListener('keydown', (e) => {
      if (e.key !== 'Tab') return;
      const items = focusables(dialog);
      if (items.length === 0) return;
      const first = items[0];
      const last = items[items.length - 1];
      const active = document.activeElement;
      if (e.shiftKey && (active === first || !dialog.contains(active))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (active === last || !dialog.contains(active))) {
        e.preventDefault();
        first.focus();
      }
    });
    // A click on the backdrop (outside the box) closes, like Escape.
    dialog.addEventListener('click', (e) => {
      if (e.target === dialog) {
        const r = dialog.getBoundingClientRect();
        const inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
        if (!inside) closeDialog();
      }
    });
  }

  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const target = e.target instanceof Element ? e.target : null;
    const close = target?.closest('[data-close]');
    if (close && dialog?.contains(close)) {
      e.preventDefault();
      closeDialog();
      return;
    }
    const link = target?.closest('a[data-dialog]');
    if (link) {
      e.preventDefault();
      openDialog(link.href, link);
    }
  });

  // ---- forms submitted by fetch -------------------------------------------------------------------------------
  function setBusy(form, button, busy) {
    form.setAttribute('aria-busy', busy ? 'true' : 'false');
    if (!button) return;
    if (busy) {
      button.dataset.label = button.innerHTML;
      button.disabled = true;
      if (button.dataset.busyLabel) button.textContent = button.dataset.busyLabel;
    } else if (button.dataset.label !== undefined) {
      button.disabled = false;
      button.innerHTML = button.dataset.label;
      delete button.dataset.label;
    }
  }

  function controlsOf(wrap) {
    return [...wrap.querySelectorAll('input:not([type="hidden"]), select, textarea')];
  }

  function setFieldError(wrap, problem) {
    const slot = wrap.querySelector('[data-error-for]');
    const controls = controlsOf(wrap);
    controls.forEach((c) => c.removeAttribute('aria-invalid'));
    wrap.classList.toggle('has-error', Boolean(problem));
    if (!slot) return;
    slot.textContent = '';
    slot.hidden = !problem;
    if (!problem) return;
    const message = document.createElement('span');
    message.className = 'error-message';
    message.textContent = problem.message;
    slot.append(message);
    if (problem.hint) {
      const hint = document.createElement('span');
      hint.className = 'error-hint';
      hint.textContent = problem.hint;
      slot.append(' ', hint);
    }
    // With a custom-value select, the error belongs to whichever of the two is in use.
    const select = wrap.querySelector('select[data-custom-toggle]');
    const custom = select && select.value === select.dataset.customValue ? document.getElementById(select.dataset.customToggle) : null;
    (custom ? [custom] : controls.filter((c) => !select || c === select)).forEach((c) => c.setAttribute('aria-invalid', 'true'));
  }

  function setFormError(form, problem) {
    const region = form.querySelector('[data-form-error]');
    if (!region) return;
    region.textContent = '';
    region.hidden = !problem;
    if (!problem) return;
    const p = document.createElement('p');
    const strong = document.createElement('strong');
    strong.textContent = problem.message;
    p.append(strong);
    if (problem.hint) p.append(` ${problem.hint}`);
    region.append(p);
  }

  function applyErrors(form, result) {
    form.querySelectorAll('[data-field]').forEach((w) => setFieldError(w, null));
    const unplaced = [];
    for (const [name, problem] of Object.entries(result.fields || {})) {
      const wrap = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
      if (wrap) setFieldError(wrap, problem);
      else unplaced.push(problem);
    }
    setFormError(form, result.formError || unplaced[0] || null);
    for (const name of result.clear || []) {
      const el = form.elements.namedItem(name);
      if (el && 'value' in el) el.value = '';
    }
    const first = form.querySelector('[aria-invalid="true"]');
    if (first) first.focus();
    else {
      const region = form.querySelector('[data-form-error]');
      if (region) {
        region.tabIndex = -1;
        region.focus();
      }
    }
  }

  function showMessage(text) {
    const region = document.querySelector('[data-flash-region]');
    if (!region || !text) return;
    region.textContent = '';
    const p = document.createElement('p');
    p.className = 'flash flash-success';
    p.textContent = text;
    region.append(p);
  }

  function listFor(node, id) {
    const existing = document.getElementById(id);
    if (existing?.parentElement) return existing.parentElement;
    const fromOpener = opener?.closest('[data-tiles]');
    if (fromOpener) return fromOpener;
    const kind = node.querySelector('.tile-radio') ? 'pick' : 'manage';
    return document.querySelector(`[data-tiles="${kind}"]`);
  }

  function placeTile(tile) {
    const template = document.createElement('template');
    template.innerHTML = tile.html.trim();
    const node = template.content.firstElementChild;
    if (!node) return null;
    const list = listFor(node, tile.id);
    if (!list) return null;
    list.querySelectorAll('.tile.is-selected').forEach((t) => {
      t.classList.remove('is-selected');
      t.removeAttribute('aria-current');
      t.removeAttribute('data-selected');
    });
    const existing = document.getElementById(tile.id);
    if (existing) existing.replaceWith(node);
    else list.insertBefore(node, list.querySelector('[data-add-tile]'));
    const radio = node.querySelector('.tile-radio');
    if (radio) {
      radio.checked = true;
      radio.dispatchEvent(new Event('change', { bubbles: true }));
      return radio;
    }
    return node;
  }

  function applySuccess(form, result) {
    if (result.redirect) return location.assign(result.redirect);
    const inDialog = dialog?.contains(form);
    let focusTarget = null;
    if (result.removeTile) {
      const gone = document.getElementById(result.removeTile);
      const next = gone?.nextElementSibling;
      gone?.remove();
      focusTarget = next?.matches('[data-add-tile]') ? next.querySelector('a') : next;
    }
    if (result.tile) focusTarget = placeTile(result.tile) || focusTarget;
    showMessage(result.message);
    if (inDialog && !result.keepOpen) closeDialog(focusTarget);
    else focusTarget?.focus();
  }

  document.addEventListener('submit', async (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-enhance')) return;
    e.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    const button = e.submitter || form.querySelector('[type="submit"]');
    const body = new URLSearchParams(new FormData(form, e.submitter || undefined));
    setBusy(form, button, true);
    try {
      const res = await fetch(form.action, {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrfToken() },
        body,
        credentials: 'same-origin',
      });
      if (res.status === 401) return location.assign(loginUrl());
      const result = await res.json().catch(() => null);
      if (result && result.ok === true) applySuccess(form, result);
      else if (result && result.ok === false) applyErrors(form, result);
      else if (result && typeof result.message === 'string') {
        // An API-shaped error (CSRF, bad request): fields by name, the rest on the form.
        const fields = {};
        for (const [k, v] of Object.entries(result.fields || {})) fields[k] = { message: v, hint: result.hints?.[k] };
        applyErrors(form, { fields, formError: Object.keys(fields).length ? null : { message: result.message, hint: result.hint }, clear: [] });
      } else throw new Error('unexpected answer');
    } catch {
      applyErrors(form, { fields: {}, formError: { message: 'Could not reach snagsync.', hint: 'Check that snagsync serve is still running, then try again.' }, clear: [] });
    } finally {
      if (document.contains(form)) setBusy(form, button, false);
    }
  });

  // ---- on load ------------------------------------------------------------------------------------------------
  enhance(document);
  const selected = document.querySelector('[data-selected="true"]');
  if (selected) selected.focus();
})();
