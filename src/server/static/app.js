// snagsync web UI: progressive enhancement, no framework, no build step. Every page works without this file
// (links open form pages, forms POST and re-render with inline errors); with it:
//  - links marked data-dialog open their page as a modal overlay (the server sends the bare content when asked with
//    X-Snagsync-Fragment: 1); focus is trapped inside, Escape closes it, focus goes back to the opener;
//  - forms marked data-enhance are submitted by fetch (CSRF token in the X-CSRF-Token header, from the csrf-token
//    meta tag) and the JSON answer is applied in place: inline errors on the fields (what was typed stays, a
//    rejected token is emptied), or a new/updated tile (selected and focused), or a removed tile, or a redirect;
//  - a select with data-custom-toggle shows its "own value" input only while that option is chosen, and an element
//    with data-shown-when="NAME=VALUE" only while the form's NAME has that value (the destination wizard's input and
//    operation parameters, the source wizard's destination kind);
//  - the source wizard ([data-wizard]) shows one step at a time, lists the projects of the credential picked, and
//    shows Test results in its panel (answers with `panels`);
//  - a running sync's page ([data-live-run]) follows the run's server-sent events and shows the summary at the end;
//  - a [data-copy] button copies its field (the webhook URL) to the clipboard;
//  - the destination wizard reads a chosen file ([data-file-into]) into its content box, and a running write-back's
//    page ([data-live-sink-run]) follows its events and reloads with the per-row report at the end.
(() => {
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
  // ---- a choice that shows its own fields: [data-shown-when="NAME=VALUE|VALUE"] shows while the form's control NAME
  // has one of the values (a checked radio, a select); its inputs are disabled while hidden, so they are not sent.
  function choiceValue(form, name) {
    for (const c of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
      if (c instanceof HTMLInputElement && (c.type === 'radio' || c.type === 'checkbox')) {
        if (c.checked) return c.value;
      } else if ('value' in c) return c.value;
    }
    return '';
  }
  function syncShownWhen(root) {
    const parts = [...root.querySelectorAll('[data-shown-when]')];
    if (root instanceof Element && root.matches('[data-shown-when]')) parts.push(root);
    for (const el of parts) {
      const form = el.closest('form');
      if (!form) continue;
      const at = el.dataset.shownWhen.indexOf('=');
      const name = el.dataset.shownWhen.slice(0, at);
      el.hidden = !el.dataset.shownWhen
        .slice(at + 1)
        .split('|')
        .includes(choiceValue(form, name));
    }
    for (const el of parts) {
      el.querySelectorAll('input[name], select[name], textarea[name]').forEach((c) => {
        const off = Boolean(c.closest('[data-shown-when][hidden]'));
        if (off && !c.disabled) {
          c.disabled = true;
          c.dataset.offByChoice = 'true';
        } else if (!off && c.dataset.offByChoice) {
          c.disabled = false;
          delete c.dataset.offByChoice;
        }
      });
    }
  }
  document.addEventListener('change', (e) => {
    const form = e.target instanceof Element ? e.target.closest('form') : null;
    if (form?.querySelector('[data-shown-when]')) syncShownWhen(form);
  });

  function enhance(root) {
    root.querySelectorAll('select[data-custom-toggle]').forEach(syncCustomToggle);
    syncShownWhen(root);
    // Controls only needed without JS (a "List the projects" button, a "Refresh" link) step aside.
    root.querySelectorAll('[data-js-hidden]').forEach((el) => {
      el.hidden = true;
    });
    root.querySelectorAll('form[data-wizard]').forEach(setupWizard);
    root.querySelectorAll('[data-live-run]').forEach(followRun);
    root.querySelectorAll('[data-live-sink-run]').forEach(followSinkRun);
    // Copy buttons need the script: without it the field is there to select by hand.
    root.querySelectorAll('button[data-copy]').forEach((b) => {
      b.hidden = false;
    });
  }
  document.addEventListener('change', (e) => {
    const t = e.target;
    if (t instanceof HTMLSelectElement && t.dataset.customToggle) {
      syncCustomToggle(t);
      if (t.value === t.dataset.customValue) document.getElementById(t.dataset.customToggle)?.focus();
    }
  });

  // ---- length limits: a live count, and a word when the text is too long (never cut without telling) ---------
  const counted = (n) => n.toLocaleString('en-US');
  /** The same words as lengthCounter in src/server/components/form.ts. */
  function updateCounter(control) {
    const counter = document.querySelector(`[data-counter-for="${CSS.escape(control.id)}"]`);
    if (!counter) return;
    const max = Number(counter.dataset.maxLength);
    const length = [...control.value].length;
    const over = length > max;
    counter.querySelector('[data-count]').textContent =
      `${counted(length)} / ${counted(max)} characters${over ? `: ${counted(length - max)} too many` : ''}`;
    // The hidden sentence is the live one: it changes (and is announced) only when the text crosses the limit.
    const said = counter.querySelector('[data-count-said]');
    if (counter.classList.contains('is-over') !== over) {
      counter.classList.toggle('is-over', over);
      said.textContent = over
        ? `Too long: at most ${counted(max)} characters. Shorten it before saving.`
        : `At most ${counted(max)} characters.`;
    }
    if (over) control.setAttribute('aria-invalid', 'true');
    else if (!control.closest('.has-error')) control.removeAttribute('aria-invalid');
  }
  document.addEventListener('input', (e) => {
    const t = e.target;
    if ((t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement) && t.id) updateCounter(t);
  });

  // ---- the overlay --------------------------------------------------------------------------------------------
  async function openDialog(url, from) {
    if (!dialog || !dialogBody) return location.assign(url);
    let res;
    try {
      res = await fetch(url, {
        headers: { 'X-Snagsync-Fragment': '1', Accept: 'text/html' },
        credentials: 'same-origin',
      });
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
    const first =
      dialogBody.querySelector('[aria-invalid="true"]') ||
      dialogBody.querySelector('[data-autofocus]') ||
      focusables(dialogBody)[0];
    (first || dialog).focus();
  }

  function closeDialog(focusTarget) {
    focusAfterClose = focusTarget || null;
    if (dialog?.open) dialog.close();
  }

  if (dialog) {
    dialog.addEventListener('close', () => {
      const target =
        focusAfterClose && document.contains(focusAfterClose)
          ? focusAfterClose
          : opener && document.contains(opener)
            ? opener
            : null;
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
    const custom =
      select && select.value === select.dataset.customValue
        ? document.getElementById(select.dataset.customToggle)
        : null;
    (custom ? [custom] : controls.filter((c) => !select || c === select)).forEach((c) =>
      c.setAttribute('aria-invalid', 'true'),
    );
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
    if (first) wizardReveal(first);
    if (first) first.focus();
    else {
      const region = form.querySelector('[data-form-error]');
      if (region) {
        region.tabIndex = -1;
        region.focus();
      }
    }
  }

  /** The same markup as flash() in src/server/pages/layout.ts. */
  function showMessage(text, kind) {
    const region = document.querySelector('[data-flash-region]');
    if (!region || !text) return;
    region.textContent = '';
    const p = document.createElement('p');
    const error = kind === 'error';
    p.className = `flash flash-${error || kind === 'info' ? kind : 'success'}`;
    if (error) {
      const strong = document.createElement('strong');
      strong.textContent = 'Error:';
      p.append(strong, ' ');
    }
    p.append(text);
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
    // "No credentials yet" is no longer true once a tile is there.
    const empty = list.parentElement?.querySelector(':scope > [data-empty]');
    if (empty) empty.hidden = true;
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

  function applyPanels(panels) {
    let last = null;
    for (const p of panels || []) {
      const target = document.getElementById(p.id);
      if (!target) continue;
      if (p.replace === 'outer') {
        const template = document.createElement('template');
        template.innerHTML = p.html.trim();
        const node = template.content.firstElementChild;
        if (!node) continue;
        target.replaceWith(node);
        enhance(node);
        last = node;
      } else {
        target.innerHTML = p.html;
        enhance(target);
        last = target;
      }
    }
    return last;
  }

  function applySuccess(form, result) {
    if (result.redirect) return location.assign(result.redirect);
    const inDialog = dialog?.contains(form);
    let focusTarget = null;
    // What an earlier answer marked and has been fixed since (a Test that passes now) is no longer shown as wrong.
    if (result.fields) {
      form.querySelectorAll('[data-field]').forEach((w) => setFieldError(w, null));
      for (const [name, problem] of Object.entries(result.fields)) {
        const wrap = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
        if (wrap) setFieldError(wrap, problem);
      }
      setFormError(form, null);
    }
    if (result.panels) applyPanels(result.panels);
    if (result.focus) focusTarget = document.getElementById(result.focus);
    if (result.removeTile) {
      const gone = document.getElementById(result.removeTile);
      const next = gone?.nextElementSibling;
      const list = gone?.parentElement;
      gone?.remove();
      // The last one gone: "No credentials yet" is true again.
      if (list && !list.querySelector('.tile:not([data-add-tile])')) {
        const empty = list.parentElement?.querySelector(':scope > [data-empty]');
        if (empty) empty.hidden = false;
      }
      focusTarget = next?.matches('[data-add-tile]') ? next.querySelector('a') : next;
    }
    if (result.tile) focusTarget = placeTile(result.tile) || focusTarget;
    showMessage(result.message, result.messageKind);
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
      const res = await fetch(form.getAttribute('action') || location.href, {
        method: 'POST',
        headers: {
          Accept: 'application/json',
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-CSRF-Token': csrfToken(),
        },
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
        applyErrors(form, {
          fields,
          formError: Object.keys(fields).length ? null : { message: result.message, hint: result.hint },
          clear: [],
        });
      } else throw new Error('unexpected answer');
    } catch {
      applyErrors(form, {
        fields: {},
        formError: {
          message: 'Could not reach snagsync.',
          hint: 'Check that snagsync serve is still running, then try again.',
        },
        clear: [],
      });
    } finally {
      if (document.contains(form)) setBusy(form, button, false);
    }
  });

  // ---- the source wizard: one step at a time --------------------------------------------------------------------
  function wizardOf(el) {
    return el?.closest?.('form[data-wizard]') || null;
  }

  function wizardShow(form, index, focus) {
    const steps = [...form.querySelectorAll('[data-step]')];
    const i = Math.max(0, Math.min(index, steps.length - 1));
    steps.forEach((s, j) => {
      s.hidden = j !== i;
    });
    form.querySelectorAll('[data-step-link]').forEach((a) => {
      const j = Number(a.dataset.stepLink);
      if (j === i) a.setAttribute('aria-current', 'step');
      else a.removeAttribute('aria-current');
      a.classList.toggle('is-done', j < i && !wizardStepMissing(form, j));
    });
    form.dataset.currentStep = String(i);
    if (focus) steps[i]?.querySelector('.wizard-step-title')?.focus();
  }

  /** A step's credential group with none checked: the step is not done, whatever its place. */
  function wizardStepMissing(form, index) {
    const group = form.querySelector(`[data-step="${index}"] [data-field="credential_id"]`);
    return group && !group.querySelector('input[name="credential_id"]:checked') ? group : null;
  }

  /** Next from a step that lacks what it asks for stays there, says what is missing on its field and focuses it. */
  function wizardStepReady(form, index) {
    const group = wizardStepMissing(form, index);
    if (!group) return true;
    setFieldError(group, { message: 'Pick a credential first: the source reads Bugsnag with it.' });
    const first = group.querySelector('input[name="credential_id"]') || group.querySelector('a');
    first?.focus();
    return false;
  }

  /** The step holding an element (a field in error) is shown before the element is focused. */
  function wizardReveal(el) {
    const form = wizardOf(el);
    const step = el.closest('[data-step]');
    if (form && step && form.classList.contains('is-stepped')) wizardShow(form, Number(step.dataset.step), false);
  }

  function setupWizard(form) {
    if (form.classList.contains('is-stepped')) return;
    form.classList.add('is-stepped');
    form.querySelectorAll('[data-wizard-buttons]').forEach((b) => {
      b.hidden = false;
    });
    const invalid = form.querySelector('[aria-invalid="true"]');
    const start = invalid?.closest('[data-step]')?.dataset.step ?? form.dataset.initialStep ?? '0';
    wizardShow(form, Number(start), false);
    if (invalid) invalid.focus();
  }

  document.addEventListener('click', (e) => {
    const target = e.target instanceof Element ? e.target : null;
    const form = wizardOf(target);
    if (!form?.classList.contains('is-stepped')) return;
    const current = Number(form.dataset.currentStep || '0');
    const link = target.closest('[data-step-link]');
    if (link) {
      e.preventDefault();
      wizardShow(form, Number(link.dataset.stepLink), true);
    } else if (target.closest('[data-wizard-next]')) {
      if (wizardStepReady(form, current)) wizardShow(form, current + 1, true);
    } else if (target.closest('[data-wizard-back]')) {
      wizardShow(form, current - 1, true);
    }
  });

  // Enter in a field of a step before the last goes to the next step instead of saving half a source.
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.isComposing) return;
    const t = e.target;
    if (!(t instanceof HTMLInputElement) || ['checkbox', 'radio', 'submit', 'button'].includes(t.type)) return;
    const form = wizardOf(t);
    if (!form?.classList.contains('is-stepped')) return;
    const steps = form.querySelectorAll('[data-step]');
    const current = Number(form.dataset.currentStep || '0');
    if (current < steps.length - 1) {
      e.preventDefault();
      if (wizardStepReady(form, current)) wizardShow(form, current + 1, true);
    }
  });

  // Picking a credential lists its organizations and projects (the no-JS "List" button, pressed for you).
  document.addEventListener('change', (e) => {
    const t = e.target;
    if (!(t instanceof HTMLInputElement) || t.type !== 'radio' || t.name !== 'credential_id') return;
    const form = wizardOf(t);
    const group = t.closest('[data-field="credential_id"]');
    if (group?.classList.contains('has-error')) setFieldError(group, null);
    const load = form?.querySelector('button[name="intent"][value="load"]');
    if (form && load) form.requestSubmit(load);
  });

  // ---- the live view of a running sync (server-sent events) -----------------------------------------------------
  const number = (n) => Number(n || 0).toLocaleString('en-US');
  /** The name the run gave the partition ("Checkout (Acme)") when it has one; else the kind and id. */
  const partitionLabel = (key, label) => {
    if (label) return label;
    if (!key) return '—';
    const i = key.indexOf(':');
    return i > 0 ? `${key.slice(0, i)} ${key.slice(i + 1)}` : key;
  };

  /** Warnings, errors and page events name a partition by key: its name is on the rows (stream-start brought it). */
  function labelOf(view, partition) {
    const row = [...view.querySelectorAll('tr[data-partition-label]')].find((r) => r.dataset.partition === partition);
    return row ? row.dataset.partitionLabel : undefined;
  }

  function cellOf(row, name) {
    return row.querySelector(`[data-cell="${name}"]`);
  }

  /** The same markup as streamRow in src/server/components/run-live.ts. */
  function streamRow(tbody, stream, partition, label) {
    const key = `${stream}|${partition}`;
    const found = [...tbody.querySelectorAll('tr[data-key]')].find((r) => r.dataset.key === key);
    if (found) return found;
    const tr = document.createElement('tr');
    tr.dataset.key = key;
    tr.dataset.outcome = '';
    tr.dataset.partition = partition;
    if (label) tr.dataset.partitionLabel = label;
    const th = document.createElement('th');
    th.scope = 'row';
    th.dataset.label = 'Stream';
    th.textContent = stream;
    tr.append(th);
    const cells = [
      ['Partition', null, partitionLabel(partition, label)],
      ['Records', 'records', '0'],
      ['Progress', 'progress', ''],
      ['Pages', 'pages', '0'],
      ['State', 'state', 'reading'],
    ];
    for (const [label, name, text] of cells) {
      const td = document.createElement('td');
      td.dataset.label = label;
      if (name) td.dataset.cell = name;
      if (name === 'records' || name === 'pages') td.className = 'num';
      td.textContent = text;
      tr.append(td);
    }
    const progress = document.createElement('progress');
    progress.setAttribute('aria-label', `${stream}, ${partitionLabel(partition, label)}`);
    progress.textContent = 'reading';
    cellOf(tr, 'progress').append(progress);
    tbody.append(tr);
    return tr;
  }

  function setProgress(row, records, estimate, done) {
    const cell = cellOf(row, 'progress');
    const bar = cell.querySelector('progress');
    cell.querySelector('.estimate')?.remove();
    if (done) {
      bar.max = Math.max(1, records);
      bar.value = Math.max(1, records);
    } else if (estimate !== undefined && estimate !== null) {
      bar.max = Math.max(estimate, records, 1);
      bar.value = records;
      const span = document.createElement('span');
      span.className = 'muted estimate';
      span.textContent = ` of ~${number(estimate)}`;
      cell.append(span);
    } else {
      bar.removeAttribute('value');
    }
    row.dataset.estimate = estimate ?? row.dataset.estimate ?? '';
  }

  function addProblem(view, kind, text) {
    const list = view.querySelector('[data-live-problems]');
    if (!list) return;
    const li = document.createElement('li');
    li.className = kind === 'error' ? 'error-item' : 'warning-item';
    li.dataset.kind = kind;
    li.textContent = text;
    list.append(li);
    const none = view.querySelector('[data-live-problems-empty]');
    if (none) none.hidden = true;
  }

  function updateTotals(view) {
    let records = 0;
    let pages = 0;
    view.querySelectorAll('tr[data-key]').forEach((r) => {
      records += Number(r.dataset.records || 0);
      pages += Number(r.dataset.pages || 0);
    });
    const set = (name, text) => {
      const dd = view.querySelector(`[data-total="${name}"]`);
      if (dd) dd.textContent = text;
    };
    set('records', number(records));
    set('pages', number(pages));
    return records;
  }

  /**
   * Rate-limit waits, per stream and partition (each has its own client, so its own wait): each counts down in its
   * row, and the status line counts down the longest, until its time is over (or the stream or the run ends). A page
   * does not end a wait: it is the answer to a request sent before the wait began — of another partition, or of the
   * same one, whose next request is what waits.
   */
  const waitsOf = (view) => {
    view.waits ??= new Map();
    return view.waits;
  };
  const rowByKey = (view, key) => [...view.querySelectorAll('tr[data-key]')].find((r) => r.dataset.key === key);
  /** A row's state as the events set it ("reading", a backfill phase): what it shows again once its wait is over. */
  function setRowState(row, text) {
    row.dataset.baseState = text;
    if (!row.dataset.waitLeft) cellOf(row, 'state').textContent = text;
  }
  function endWait(view, key) {
    if (!waitsOf(view).delete(key)) return;
    const row = rowByKey(view, key);
    if (row?.dataset.waitLeft) {
      delete row.dataset.waitLeft;
      if (!row.dataset.outcome) cellOf(row, 'state').textContent = row.dataset.baseState || 'reading';
    }
  }
  function stopCountdown(view) {
    if (view.waitTimer) clearInterval(view.waitTimer);
    view.waitTimer = null;
  }
  function showWaits(view) {
    const waits = waitsOf(view);
    const now = Date.now();
    for (const [key, until] of [...waits]) if (until - now <= 0) endWait(view, key);
    let longest = 0;
    for (const [key, until] of waits) {
      const left = Math.ceil((until - now) / 1000);
      longest = Math.max(longest, left);
      const row = rowByKey(view, key);
      if (row && !row.dataset.outcome) {
        row.dataset.waitLeft = String(left);
        cellOf(row, 'state').textContent = `waiting ${left} s for the rate limit`;
      }
    }
    const plan = view.dataset.plan ? ` ${view.dataset.plan}` : '';
    if (waits.size === 0) {
      stopCountdown(view);
      delete view.dataset.waitLeft;
      setStatus(view, `Syncing… ${number(updateTotals(view))} records read so far.${plan}`);
      return;
    }
    view.dataset.waitLeft = String(longest);
    const who = waits.size > 1 ? ` (${waits.size} streams or partitions waiting)` : '';
    setStatus(view, `Waiting ${longest} s for the rate limit${who}.${plan}`);
  }
  function startWait(view, key, ms) {
    const until = Date.now() + ms;
    waitsOf(view).set(key, Math.max(until, waitsOf(view).get(key) ?? 0));
    showWaits(view);
    if (!view.waitTimer)
      view.waitTimer = setInterval(() => {
        if (!document.contains(view)) return stopCountdown(view);
        showWaits(view);
      }, 250);
  }
  function endAllWaits(view) {
    for (const key of [...waitsOf(view).keys()]) endWait(view, key);
    stopCountdown(view);
    delete view.dataset.waitLeft;
  }

  function setStatus(view, text) {
    const line = view.querySelector('[data-live-status]');
    if (line && line.textContent !== text) line.textContent = text;
  }

  function applyRunEvent(view, e) {
    const tbody = view.querySelector('[data-live-streams]');
    const plan = view.dataset.plan ? ` ${view.dataset.plan}` : '';
    switch (e.type) {
      case 'plan':
        view.dataset.plan = `${e.organizations} ${e.organizations === 1 ? 'organization' : 'organizations'}, ${e.projects} ${e.projects === 1 ? 'project' : 'projects'}.`;
        break;
      case 'stream-start': {
        const row = streamRow(tbody, e.stream, e.partition, e.partitionLabel);
        setRowState(row, e.resumed ? 'resuming' : 'reading');
        break;
      }
      case 'page': {
        const row = streamRow(tbody, e.stream, e.partition, labelOf(view, e.partition));
        row.dataset.records = String(e.recordsRead);
        row.dataset.pages = String(e.pages);
        cellOf(row, 'records').textContent = number(e.recordsRead);
        cellOf(row, 'pages').textContent = number(e.pages);
        setProgress(row, e.recordsRead, e.estimate, false);
        const total = updateTotals(view);
        if (waitsOf(view).size > 0) showWaits(view);
        else setStatus(view, `Syncing… ${number(total)} records read so far.${plan}`);
        break;
      }
      case 'backfill': {
        // A bulk backfill's phase, in the words the event carries (live-state.ts does the same on the server).
        const row = streamRow(tbody, e.stream, e.partition, labelOf(view, e.partition));
        setRowState(row, e.label);
        if (e.phase === 'estimated' && e.total !== undefined)
          setProgress(row, Number(row.dataset.records || 0), e.total, false);
        break;
      }
      case 'rate-limit-wait': {
        view.dataset.waits = String(Number(view.dataset.waits || 0) + 1);
        view.dataset.waitMs = String(Number(view.dataset.waitMs || 0) + e.ms);
        const dd = view.querySelector('[data-total="waits"]');
        if (dd) dd.textContent = `${number(view.dataset.waits)} (${(Number(view.dataset.waitMs) / 1000).toFixed(1)} s)`;
        startWait(view, e.stream ? `${e.stream}|${e.partition ?? ''}` : '', e.ms);
        break;
      }
      case 'retry': {
        view.dataset.retries = String(Number(view.dataset.retries || 0) + 1);
        const dd = view.querySelector('[data-total="retries"]');
        if (dd) dd.textContent = number(view.dataset.retries);
        break;
      }
      case 'warning':
        addProblem(
          view,
          'warning',
          `${e.stream}${e.partition ? ` ${partitionLabel(e.partition, labelOf(view, e.partition))}` : ''}: ${e.message}`,
        );
        break;
      case 'stream-done': {
        const row = streamRow(tbody, e.stream, e.partition, labelOf(view, e.partition));
        endWait(view, row.dataset.key);
        row.dataset.outcome = e.outcome;
        row.dataset.records = String(e.recordsRead);
        row.dataset.pages = String(e.pages);
        cellOf(row, 'records').textContent = number(e.recordsRead);
        cellOf(row, 'pages').textContent = number(e.pages);
        setProgress(row, e.recordsRead, null, true);
        const message = e.error?.message || e.message;
        // Stopped by a cancel (the error is "aborted"): not a failure of the stream.
        const cancelled = e.outcome === 'failed' && e.error?.code === 'aborted';
        if (cancelled) row.dataset.outcome = 'cancelled';
        cellOf(row, 'state').textContent =
          e.outcome === 'ok'
            ? '✓ done'
            : e.outcome === 'skipped'
              ? `skipped${message ? `: ${message}` : ''}`
              : cancelled
                ? '■ cancelled'
                : `✕ failed${message ? `: ${message}` : ''}`;
        if (e.outcome === 'failed' && !cancelled)
          addProblem(
            view,
            'error',
            `${e.stream} ${partitionLabel(e.partition, labelOf(view, e.partition))}: ${message || 'failed'}`,
          );
        updateTotals(view);
        break;
      }
      case 'snapshot': {
        // A run of another process: its stored totals, in the summary the page already shows.
        const t = e.run?.totals;
        const totals = document.querySelector('[data-run-totals]');
        if (t && totals) {
          for (const [name, value] of [
            ['records', t.records_read],
            ['written', t.records_written],
            ['requests', t.requests],
            ['pages', t.pages],
            ['retries', t.retries],
          ]) {
            const dd = totals.querySelector(`[data-total="${name}"]`);
            if (dd) dd.textContent = number(value);
          }
        }
        break;
      }
      case 'run-done':
        endAllWaits(view);
        view.dataset.status = e.status;
        setStatus(view, `Finished: ${e.status}.`);
        break;
      default:
        break;
    }
    view.dataset.applied = String(Number(view.dataset.applied || 0) + 1);
    view.dataset.lastSeq = String(e.seq ?? view.dataset.lastSeq);
  }

  const RUN_EVENTS = [
    'run-start',
    'plan',
    'stream-start',
    'page',
    'backfill',
    'rate-limit-wait',
    'retry',
    'warning',
    'stream-done',
    'run-done',
    'snapshot',
  ];

  /** The run has ended: the page is rendered again by the server (the summary, per stream and partition). */
  async function showFinishedRun(view, status) {
    const main = document.getElementById('main');
    const runId = view.dataset.runId;
    try {
      const res = await fetch(`/runs/${encodeURIComponent(runId)}`, {
        headers: { 'X-Snagsync-Fragment': '1', Accept: 'text/html' },
        credentials: 'same-origin',
      });
      if (!res.ok) throw new Error(String(res.status));
      main.innerHTML = await res.text();
      enhance(main);
      // What was said when the run started ("Its sync has started.", "Cancelling…") no longer holds.
      const flashes = document.querySelector('[data-flash-region]');
      if (flashes) flashes.textContent = '';
    } catch {
      setStatus(view, `Finished: ${status}. Reload the page for the summary.`);
    }
    const announcer = document.getElementById('announcer');
    if (announcer) announcer.textContent = `The run has finished: ${status}.`;
  }

  /** How long a closed event stream waits before it tries again (the server's Retry-After for a refused one). */
  const STREAM_RETRY_MS = 5000;

  function followRun(view) {
    if (typeof EventSource !== 'function' || view.dataset.following) return;
    view.dataset.following = 'true';
    // Waits the server saw running when it rendered the page go on counting down (their events are not sent again).
    if (view.dataset.waits && !view.waits) {
      try {
        for (const [key, ms] of Object.entries(JSON.parse(view.dataset.waits))) startWait(view, key, Number(ms));
      } catch {
        // A page without waits to resume.
      }
    }
    const url = `${view.dataset.eventsUrl}?last_event_id=${encodeURIComponent(view.dataset.lastSeq || '0')}`;
    const source = new EventSource(url, { withCredentials: true });
    let done = false;
    const onEvent = (message) => {
      let e;
      try {
        e = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!document.contains(view)) return source.close();
      applyRunEvent(view, e);
      if (e.type === 'run-done' && !done) {
        done = true;
        source.close();
        showFinishedRun(view, e.status);
      }
    };
    for (const type of RUN_EVENTS) source.addEventListener(type, onEvent);
    // EventSource reconnects by itself (sending Last-Event-ID); once the run is over the server answers 204 and it stops.
    // A refused stream (503: the server has as many open as it allows) closes it: try again after a pause.
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.CLOSED || done) return;
      setStatus(view, 'Lost the connection to snagsync; trying again in a few seconds.');
      setTimeout(() => {
        if (!document.contains(view)) return;
        delete view.dataset.following;
        followRun(view);
      }, STREAM_RETRY_MS);
    });
  }

  // ---- the destination wizard: a chosen file's text goes into the content box (what the form posts) -------------
  document.addEventListener('change', async (e) => {
    const t = e.target;
    if (!(t instanceof HTMLInputElement) || t.type !== 'file' || !t.dataset.fileInto) return;
    const file = t.files?.[0];
    const box = document.getElementById(t.dataset.fileInto);
    if (!file || !box) return;
    box.value = await file.text();
    box.dispatchEvent(new Event('input', { bubbles: true }));
    const format = document.getElementById(t.dataset.formatInto || '');
    if (format) format.value = /\.csv$/i.test(file.name) ? 'csv' : 'jsonl';
    const name = t.form?.querySelector(`[data-filename-of="${CSS.escape(t.id)}"]`);
    if (name) name.value = file.name;
    const fileRadio = t.form?.querySelector('input[name="input_type"][value="file"]');
    if (fileRadio && !fileRadio.checked) {
      fileRadio.checked = true;
      fileRadio.dispatchEvent(new Event('change', { bubbles: true }));
    }
    showMessage(`Read ${file.name}.`, 'info');
  });

  // ---- a running write-back: progress from its events, then the page again with the report --------------------
  function followSinkRun(view) {
    if (typeof EventSource !== 'function' || view.dataset.following) return;
    view.dataset.following = 'true';
    const source = new EventSource(view.dataset.eventsUrl, { withCredentials: true });
    const set = (sel, text) => {
      const el = view.querySelector(sel);
      if (el) el.textContent = text;
    };
    source.addEventListener('progress', (m) => {
      const e = JSON.parse(m.data);
      set('[data-live-done]', number(e.done));
      set('[data-live-total]', number(e.total));
      const bar = view.querySelector('[data-live-progress]');
      if (bar) {
        bar.max = Math.max(e.total, 1);
        bar.value = e.done;
      }
    });
    source.addEventListener('run-done', (m) => {
      source.close();
      const e = JSON.parse(m.data);
      set('[data-live-status]', `Finished: ${e.status}. Loading the report…`);
      location.reload();
    });
    // Closed without run-done (a dropped connection, or a stream refused because too many are open): the page again,
    // after a pause, so that a refusal does not become a loop of reloads.
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) setTimeout(() => location.reload(), STREAM_RETRY_MS);
    });
  }

  // ---- copy buttons: [data-copy="ID"] copies the value of the field ID (the webhook URL) -------------------------
  document.addEventListener('click', async (e) => {
    const button = e.target instanceof Element ? e.target.closest('button[data-copy]') : null;
    if (!button) return;
    const field = document.getElementById(button.dataset.copy);
    const status = document.querySelector(`[data-copy-status="${CSS.escape(button.dataset.copy)}"]`);
    if (!field) return;
    try {
      await navigator.clipboard.writeText(field.value);
      if (status) status.textContent = 'Copied.';
    } catch {
      // No clipboard (an address the browser does not trust, a denied permission): select it for Ctrl+C.
      field.focus();
      field.select();
      if (status) status.textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
    }
  });

  // ---- on load ------------------------------------------------------------------------------------------------
  enhance(document);
  const selected = document.querySelector('[data-selected="true"]');
  if (selected) selected.focus();
})();
