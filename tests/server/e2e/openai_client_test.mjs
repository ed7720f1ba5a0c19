// The official OpenAI JavaScript client against the real hybridserve binary (fake backend):
// completions and chat, streaming and not, n=1 and n=2, usage, errors and the API key.
// Usage: node openai_client_test.mjs /path/to/hybridserve
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test, after, before} from 'node:test';
import OpenAI from 'openai';

const binary = process.argv[2];
const MODEL = 'hybridserve-fake';
const PATTERN = 'The quick brown fox jumps over the lazy dog. ';
const servers = [];

async function startServer(...extra) {
  const dir = mkdtempSync(join(tmpdir(), 'hs-openai-'));
  const portFile = join(dir, 'ports.json');
  const proc = spawn(binary, ['--fake-backend', '--host=127.0.0.1', '--http-port=0',
                              '--grpc-port=-1', `--port-file=${portFile}`, ...extra],
                     {stdio: ['ignore', 'ignore', 'inherit']});
  servers.push({proc, dir});
  for (let i = 0; i < 600 && !existsSync(portFile); ++i) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const {http_port: port} = JSON.parse(readFileSync(portFile, 'utf8'));
  return `http://127.0.0.1:${port}/v1`;
}

let client;
before(async () => {
  client = new OpenAI({baseURL: await startServer(), apiKey: 'unused', maxRetries: 0});
});
after(() => {
  for (const {proc, dir} of servers) {
    proc.kill('SIGTERM');
    rmSync(dir, {recursive: true, force: true});
  }
});

function checkUsage(usage, completionTokens) {
  assert.ok(usage.prompt_tokens > 0);
  assert.equal(usage.completion_tokens, completionTokens);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
}

for (const n of [1, 2]) {
  test(`completions n=${n}`, async () => {
    const r = await client.completions.create({model: MODEL, prompt: 'Hello', max_tokens: 9, n});
    assert.match(r.id, /^cmpl-/);
    assert.equal(r.object, 'text_completion');
    assert.equal(r.model, MODEL);
    assert.equal(typeof r.created, 'number');
    assert.equal(r.choices.length, n);
    r.choices.forEach((c, i) => {
      assert.equal(c.index, i);
      assert.equal(c.text, PATTERN.slice(0, 9));
      assert.equal(c.finish_reason, 'length');
    });
    checkUsage(r.usage, 9 * n);
  });

  test(`completions streaming n=${n}`, async () => {
    const stream = await client.completions.create(
        {model: MODEL, prompt: 'Hello', max_tokens: 7, n, stream: true,
         stream_options: {include_usage: true}});
    const texts = Array(n).fill('');
    const reasons = Array(n).fill(null);
    let usage = null;
    let chunks = 0;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'text_completion');
      assert.match(chunk.id, /^cmpl-/);
      if (chunk.choices.length === 0) {
        usage = chunk.usage;
        continue;
      }
      assert.equal(chunk.usage, null);
      ++chunks;
      for (const c of chunk.choices) {
        texts[c.index] += c.text;
        if (c.finish_reason) reasons[c.index] = c.finish_reason;
      }
    }
    assert.ok(chunks >= 2 * n, `only ${chunks} chunks`);
    assert.deepEqual(texts, Array(n).fill(PATTERN.slice(0, 7)));
    assert.deepEqual(reasons, Array(n).fill('length'));
    checkUsage(usage, 7 * n);
  });

  test(`chat n=${n}`, async () => {
    const r = await client.chat.completions.create(
        {model: MODEL, messages: [{role: 'system', content: 'be brief'},
                                  {role: 'user', content: 'Hi'}],
         max_completion_tokens: 10, n, temperature: 0.7, top_p: 0.9, seed: 3, stop: ['lazy'],
         presence_penalty: 0.1, frequency_penalty: 0.1, user: 'tester'});
    assert.match(r.id, /^chatcmpl-/);
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices.length, n);
    r.choices.forEach((c, i) => {
      assert.equal(c.index, i);
      assert.equal(c.message.role, 'assistant');
      assert.equal(c.message.content, PATTERN.slice(0, 10));
      assert.equal(c.finish_reason, 'length');
    });
    checkUsage(r.usage, 10 * n);
  });

  test(`chat streaming n=${n}`, async () => {
    const stream = await client.chat.completions.create(
        {model: MODEL, messages: [{role: 'user', content: 'Hi'}], max_tokens: 100, n,
         stop: 'fox', stream: true, stream_options: {include_usage: true}});
    const texts = Array(n).fill('');
    const roles = Array(n).fill(null);
    const reasons = Array(n).fill(null);
    let usage = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      if (chunk.choices.length === 0) {
        usage = chunk.usage;
        continue;
      }
      for (const c of chunk.choices) {
        if (c.delta.role) roles[c.index] = c.delta.role;
        texts[c.index] += c.delta.content ?? '';
        if (c.finish_reason) reasons[c.index] = c.finish_reason;
      }
    }
    assert.deepEqual(roles, Array(n).fill('assistant'));
    assert.deepEqual(texts, Array(n).fill('The quick brown '));
    assert.deepEqual(reasons, Array(n).fill('stop'));
    checkUsage(usage, 19 * n);  // "The quick brown fox": the stop string's tokens count
  });
}

test('chat logprobs', async () => {
  const r = await client.chat.completions.create(
      {model: MODEL, messages: [{role: 'user', content: 'Hi'}], max_tokens: 3, logprobs: true,
       top_logprobs: 2});
  const content = r.choices[0].logprobs.content;
  assert.equal(content.length, 3);
  assert.equal(content.map((t) => t.token).join(''), 'The');
  assert.equal(content[0].top_logprobs.length, 2);
  assert.deepEqual(content[0].bytes, [84]);
});

test('streaming without include_usage ends without a usage chunk', async () => {
  const stream = await client.completions.create(
      {model: MODEL, prompt: 'x', max_tokens: 3, stream: true});
  let text = '';
  for await (const chunk of stream) {
    assert.ok(!('usage' in chunk) || chunk.usage == null);
    assert.equal(chunk.choices.length, 1);
    text += chunk.choices[0].text;
  }
  assert.equal(text, 'The');
});

test('models and errors', async () => {
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), [MODEL]);
  await assert.rejects(client.completions.create({model: 'nope', prompt: 'x'}),
                       (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
  await assert.rejects(
      client.completions.create({model: MODEL, prompt: 'x', temperature: 7}),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'temperature');
});

test('api key', async () => {
  const baseURL = await startServer('--api-key=sekret');
  const good = new OpenAI({baseURL, apiKey: 'sekret', maxRetries: 0});
  const r = await good.completions.create({model: MODEL, prompt: 'x', max_tokens: 2});
  assert.equal(r.choices[0].text, 'Th');
  const bad = new OpenAI({baseURL, apiKey: 'wrong', maxRetries: 0});
  await assert.rejects(bad.completions.create({model: MODEL, prompt: 'x'}),
                       (e) => e instanceof OpenAI.AuthenticationError);
});
