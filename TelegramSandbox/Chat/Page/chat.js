// The sandbox's web chat: acts as a user through the control API and long-polls the chat's state: the user's private
// chat with the bot, or a group of theirs (several members, each message with its author's name; switch the user id
// to act as another member).
(() => {
  'use strict';
  const api = '/sandbox/api';
  const $ = id => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  let bot = params.get('bot') || localStorage.getItem('sandbox.bot') || '';
  let version = null;
  let generation = 0;
  let seenAnswers = new Set();
  let blocked = false;
  let editing = null; // the id of the user's message being edited in the composer, or null
  let chat = params.get('chat') || localStorage.getItem('sandbox.chat') || ''; // a group's id, or '' for the private chat
  let replyTo = null; // the message the next one replies to ({ chat, messageId }), or null
  let shown = null; // the chat's state last rendered

  const user = () => ({
    id: Number($('user-id').value),
    firstName: $('user-name').value.trim() || 'User',
    languageCode: $('user-lang').value.trim() || null,
  });

  function loadUser() {
    $('user-id').value = localStorage.getItem('sandbox.userId') || String(100000 + Math.floor(Math.random() * 900000));
    $('user-name').value = localStorage.getItem('sandbox.userName') || 'Developer';
    $('user-lang').value = localStorage.getItem('sandbox.userLang') || (navigator.language || 'en').slice(0, 2);
  }

  function saveUser() {
    localStorage.setItem('sandbox.userId', $('user-id').value);
    localStorage.setItem('sandbox.userName', $('user-name').value);
    localStorage.setItem('sandbox.userLang', $('user-lang').value);
  }

  function status(text) { $('status').textContent = text || ''; }

  const chatId = () => chat ? Number(chat) : user().id;
  const inChat = body => chat ? { ...body, chatId: Number(chat) } : body;

  // The bot's groups, for the chat picker (the private chat first).
  async function loadGroups() {
    if (!bot) return;
    const groups = (await call('GET', `/bots/${bot}/chats`)).filter(c => c.type !== 'private');
    const select = $('chat');
    const options = [new Option('Private chat with the bot', '')];
    for (const g of groups) options.push(new Option(`👥 ${g.title}`, String(g.chatId)));
    select.replaceChildren(...options);
    if (!groups.some(g => String(g.chatId) === chat)) chat = '';
    select.value = chat;
  }

  // A group with the user and the members given as "id:name, id:name" (the user added the bot).
  async function newGroup() {
    const title = prompt('Group title', 'Team');
    if (!title) return;
    const others = (prompt('Other members as id:name, separated by commas', '') || '').split(',').map(s => s.trim()).filter(Boolean)
      .map(s => { const [id, ...name] = s.split(':'); return { id: Number(id), firstName: name.join(':').trim() || `User ${id}` }; });
    const group = await call('POST', `/bots/${bot}/groups`, { title, members: [user(), ...others] });
    chat = String(group.chatId);
    localStorage.setItem('sandbox.chat', chat);
    await loadGroups();
    restart();
  }

  function toast(text) {
    const t = $('toast');
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 2500);
  }

  async function call(method, path, body) {
    const response = await fetch(api + path, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
      throw new Error(detail);
    }
    return response.status === 204 ? null : response.json();
  }

  async function loadBots() {
    const bots = await call('GET', '/bots');
    const select = $('bot');
    select.replaceChildren(...bots.map(b => {
      const option = document.createElement('option');
      option.value = String(b.id);
      option.textContent = `${b.firstName} (@${b.username})`;
      return option;
    }));
    if (!bots.length) {
      status('No bot yet: start your bot with this sandbox as its Bot API base URL, or paste its token.');
      return;
    }
    if (!bots.some(b => String(b.id) === bot)) bot = String(bots[0].id);
    select.value = bot;
    status('');
  }

  // Builds the message text from Telegram entities with DOM nodes only: markup is never parsed as HTML.
  function renderText(text, entities) {
    const fragment = document.createDocumentFragment();
    if (!entities || !entities.length) {
      fragment.append(text);
      return fragment;
    }
    const cuts = new Set([0, text.length]);
    for (const e of entities) { cuts.add(e.offset); cuts.add(Math.min(text.length, e.offset + e.length)); }
    const points = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i < points.length - 1; i++) {
      const start = points[i], end = points[i + 1];
      let node = document.createTextNode(text.slice(start, end));
      for (const e of entities.filter(x => x.offset <= start && x.offset + x.length >= end)) {
        node = wrap(node, e);
      }
      fragment.append(node);
    }
    return fragment;
  }

  function wrap(node, entity) {
    const tags = { bold: 'b', italic: 'i', underline: 'u', strikethrough: 's', code: 'code', pre: 'pre', blockquote: 'blockquote', expandable_blockquote: 'blockquote' };
    let element;
    if (entity.type === 'text_link' && /^(https?:|tg:)/i.test(entity.url || '')) {
      element = document.createElement('a');
      element.href = entity.url;
      element.target = '_blank';
      element.rel = 'noopener noreferrer';
    } else if (entity.type === 'text_mention') {
      // A mention of a user by id: shown as a mention, naming whom it mentions.
      element = document.createElement('span');
      element.className = 'mention';
      if (entity.user) element.title = `${entity.user.first_name} (user ${entity.user.id})`;
    } else if (entity.type === 'spoiler') {
      element = document.createElement('span');
      element.className = 'spoiler';
    } else if (tags[entity.type]) {
      element = document.createElement(tags[entity.type]);
    } else {
      return node;
    }
    element.append(node);
    return element;
  }

  function renderMessage(m) {
    const group = shown && shown.type !== 'private';
    const mine = !m.fromBot && (!m.from || m.from.id === user().id);
    const div = document.createElement('div');
    div.className = `message ${m.fromBot ? 'from-bot' : mine ? 'from-user' : 'from-member'}${m.deleted ? ' deleted' : ''}`;
    div.dataset.messageId = m.messageId;
    if (group && !m.fromBot && m.from) {
      const author = document.createElement('div');
      author.className = 'author';
      author.textContent = m.from.firstName;
      div.append(author);
    }
    const original = m.replyToMessageId && shown ? shown.messages.find(x => x.messageId === m.replyToMessageId) : null;
    if (original) {
      const quote = document.createElement('div');
      quote.className = 'quote';
      quote.textContent = `${original.fromBot ? 'Bot' : (original.from ? original.from.firstName : 'You')}: ${original.deleted ? 'message deleted' : original.text}`;
      div.append(quote);
    }
    const text = document.createElement('div');
    text.className = 'text';
    if (m.deleted) text.textContent = 'message deleted';
    else if (m.invoice) text.textContent = `🧾 ${m.invoice.title}: ${m.invoice.description} — ${m.invoice.total_amount} ⭐`;
    else if (m.successfulPayment) text.textContent = `✅ Paid ${m.successfulPayment.total_amount} ⭐`;
    else text.append(renderText(m.text, m.entities));
    div.append(text);

    if (!m.deleted && m.inlineKeyboard) {
      const buttons = document.createElement('div');
      buttons.className = 'buttons';
      for (const row of m.inlineKeyboard) {
        const rowDiv = document.createElement('div');
        rowDiv.className = 'button-row';
        for (const b of row) {
          const button = document.createElement('button');
          button.type = 'button';
          button.className = 'inline-button';
          button.textContent = b.url ? `${b.text} ↗` : b.text;
          button.addEventListener('click', () => b.url ? window.open(b.url, '_blank', 'noopener') : press(m.messageId, b.callbackData));
          rowDiv.append(button);
        }
        buttons.append(rowDiv);
      }
      div.append(buttons);
    }
    if (!m.deleted && m.invoice) {
      const pay = document.createElement('button');
      pay.type = 'button';
      pay.className = 'inline-button';
      pay.textContent = `Pay ${m.invoice.total_amount} ⭐`;
      pay.addEventListener('click', () => act(() => call('POST', `/bots/${bot}/payments`, { user: user(), messageId: m.messageId })));
      div.append(pay);
    }
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = `${new Date(m.date * 1000).toLocaleTimeString()}${m.edited ? ' · edited' : ''}`;
    if (!m.deleted) {
      // In a group the bot hears replies to its messages (privacy mode), so any message can be replied to.
      const reply = document.createElement('button');
      reply.type = 'button';
      reply.className = 'reply-button';
      reply.textContent = 'Reply';
      reply.addEventListener('click', () => startReplying(m));
      meta.append(' ', reply);
    }
    if (mine && !m.deleted && !m.invoice && !m.successfulPayment) {
      // As in Telegram, the user can edit their text: the bot gets an edited_message.
      const edit = document.createElement('button');
      edit.type = 'button';
      edit.className = 'edit-button';
      edit.textContent = 'Edit';
      edit.addEventListener('click', () => startEditing(m.messageId, m.text));
      meta.append(' ', edit);
    }
    div.append(meta);
    return div;
  }

  function renderKeyboard(markup) {
    const area = $('reply-keyboard');
    area.replaceChildren();
    if (!markup || !markup.keyboard) return;
    for (const row of markup.keyboard) {
      const rowDiv = document.createElement('div');
      rowDiv.className = 'button-row';
      for (const b of row) {
        const label = typeof b === 'string' ? b : b.text;
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = label;
        button.addEventListener('click', () => send(label));
        rowDiv.append(button);
      }
      area.append(rowDiv);
    }
  }

  function render(state) {
    shown = state;
    const list = $('messages');
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 20;
    list.replaceChildren(...state.messages.map(renderMessage));
    if (atBottom) list.scrollTop = list.scrollHeight;
    renderKeyboard(state.replyKeyboard);
    blocked = state.blocked;
    $('block').textContent = blocked ? 'Unblock bot' : 'Block bot';
    $('block').hidden = Boolean(chat);
    status(state.chatAction ? `${state.chatAction}…` : (blocked ? 'You blocked this bot.' : ''));
    for (const a of state.callbackAnswers) {
      if (!seenAnswers.has(a.callbackQueryId)) {
        seenAnswers.add(a.callbackQueryId);
        if (a.text && version !== null) (a.showAlert ? alert : toast)(a.text);
      }
    }
  }

  async function poll(mine) {
    while (mine === generation) {
      try {
        if (!bot || !user().id) { await sleep(1000); await loadBots().catch(() => {}); continue; }
        const query = version === null ? '' : `?since=${version}&wait=25`;
        const state = await call('GET', `/bots/${bot}/chats/${chatId()}${query}`);
        if (mine !== generation) return;
        render(state);
        version = state.version;
      } catch (e) {
        status(`Sandbox unreachable: ${e.message}`);
        await sleep(1000);
      }
    }
  }

  function restart() {
    generation++;
    version = null;
    seenAnswers = new Set();
    shown = null;
    if (editing !== null) stopEditing();
    if (replyTo && replyTo.chat !== chatId()) stopReplying();
    $('messages').replaceChildren();
    poll(generation);
  }

  const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

  async function act(action) {
    try { await action(); } catch (e) { toast(e.message); }
  }

  function send(text) {
    if (!text || !bot) return;
    const replying = replyTo ? replyTo.messageId : null;
    stopReplying();
    return act(() => call('POST', `/bots/${bot}/messages`, inChat({ user: user(), text, replyToMessageId: replying })));
  }

  function edit(messageId, text) {
    if (!text || !bot) return;
    return act(() => call('PUT', `/bots/${bot}/messages/${messageId}`, inChat({ user: user(), text })));
  }

  function startEditing(messageId, text) {
    editing = messageId;
    $('editing').hidden = false;
    $('text').value = text;
    $('text').focus();
  }

  function stopEditing() {
    editing = null;
    $('editing').hidden = true;
    $('text').value = '';
  }

  function startReplying(m) {
    replyTo = { chat: chatId(), messageId: m.messageId };
    $('replying-to').textContent = `Replying to ${m.fromBot ? 'the bot' : (m.from ? m.from.firstName : 'your message')}`;
    $('replying').hidden = false;
    $('text').focus();
  }

  function stopReplying() {
    replyTo = null;
    $('replying').hidden = true;
  }

  function press(messageId, callbackData) {
    return act(() => call('POST', `/bots/${bot}/callbacks`, inChat({ user: user(), messageId, callbackData })));
  }

  $('composer').addEventListener('submit', async event => {
    event.preventDefault();
    const input = $('text');
    const text = input.value;
    if (!text.trim()) return;
    if (editing !== null) {
      const messageId = editing;
      stopEditing();
      await edit(messageId, text);
      return;
    }
    input.value = '';
    await send(text);
  });
  $('cancel-edit').addEventListener('click', stopEditing);
  $('cancel-reply').addEventListener('click', stopReplying);
  $('chat').addEventListener('change', () => { chat = $('chat').value; localStorage.setItem('sandbox.chat', chat); restart(); });
  $('chat').addEventListener('focus', () => loadGroups().catch(() => {}));
  $('new-group').addEventListener('click', () => act(newGroup));
  $('text').addEventListener('keydown', event => { if (event.key === 'Escape' && editing !== null) stopEditing(); });
  $('bot').addEventListener('change', () => { bot = $('bot').value; localStorage.setItem('sandbox.bot', bot); loadGroups().catch(() => {}).finally(restart); });
  $('use-token').addEventListener('click', () => act(async () => {
    const info = await call('POST', '/bots', { token: $('token').value.trim() });
    $('token').value = '';
    bot = String(info.id);
    await loadBots();
    restart();
  }));
  $('block').addEventListener('click', () => act(() => call('PUT', `/bots/${bot}/chats/${user().id}/blocked`, { blocked: !blocked })));
  for (const id of ['user-id', 'user-name', 'user-lang']) $(id).addEventListener('change', () => { saveUser(); if (id === 'user-id') restart(); });

  loadUser();
  loadBots().then(loadGroups).catch(e => status(e.message)).finally(() => restart());
})();
