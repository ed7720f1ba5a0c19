// The official OpenAI JavaScript client against hybridserve serving its bundled default model
// (no --model: models/default, the real CPU engine, tokenizer and chat template). Greedy
// decoding makes the outputs deterministic, so streamed text must equal non-streamed text and
// the n=2 choices must agree.
// Usage: node openai_engine_test.mjs /path/to/hybridserve
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test, after, before} from 'node:test';
import OpenAI from 'openai';

const binary = process.argv[2];
let server;
let client;
let model;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-engine-'));
  const portFile = join(dir, 'ports.json');
  const proc = spawn(binary, ['--host=127.0.0.1', '--http-port=0', '--grpc-port=-1',
                              `--port-file=${portFile}`],
                     {stdio: ['ignore', 'ignore', 'inherit']});
  server = {proc, dir};
  for (let i = 0; i < 1200 && !existsSync(portFile); ++i) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const {http_port: port} = JSON.parse(readFileSync(portFile, 'utf8'));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; ++i) {  // ready once the model is loaded and warmed up
    const r = await fetch(`${base}/ready`).catch(() => null);
    if (r && r.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  client = new OpenAI({baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0});
  const models = await client.models.list();
  assert.equal(models.data.length, 1);
  model = models.data[0].id;
});

after(() => {
  server.proc.kill('SIGTERM');
  rmSync(server.dir, {recursive: true, force: true});
});

const GREEDY = {temperature: 0, max_tokens: 12, ignore_eos: true};

test('completions: n=2 greedy choices agree, usage counts the tokens', async () => {
  const r = await client.completions.create({model, prompt: 'The hybrid model', n: 2, ...GREEDY});
  assert.equal(r.choices.length, 2);
  assert.equal(r.choices[0].text, r.choices[1].text);
  for (const c of r.choices) assert.equal(c.finish_reason, 'length');
  assert.ok(r.usage.prompt_tokens > 0);
  assert.equal(r.usage.completion_tokens, 2 * GREEDY.max_tokens);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

test('completions: streamed text equals the non-streamed text', async () => {
  const whole = await client.completions.create({model, prompt: 'State space', ...GREEDY});
  const stream = await client.completions.create(
      {model, prompt: 'State space', stream: true, stream_options: {include_usage: true},
       ...GREEDY});
  let text = '';
  let usage = null;
  let reason = null;
  for await (const chunk of stream) {
    if (chunk.choices.length === 0) {
      usage = chunk.usage;
      continue;
    }
    text += chunk.choices[0].text;
    if (chunk.choices[0].finish_reason) reason = chunk.choices[0].finish_reason;
  }
  assert.equal(text, whole.choices[0].text);
  assert.equal(reason, 'length');
  assert.equal(usage.completion_tokens, GREEDY.max_tokens);
  assert.equal(usage.prompt_tokens, whole.usage.prompt_tokens);
});

test('chat: the chat template is applied; streaming and not agree', async () => {
  const messages = [{role: 'system', content: 'Be brief.'}, {role: 'user', content: 'Hello!'}];
  const whole = await client.chat.completions.create({model, messages, ...GREEDY});
  assert.equal(whole.object, 'chat.completion');
  assert.equal(whole.choices[0].message.role, 'assistant');
  assert.equal(whole.usage.completion_tokens, GREEDY.max_tokens);
  // The rendered ChatML prompt is much longer than the two messages' words.
  assert.ok(whole.usage.prompt_tokens > 10);
  const stream = await client.chat.completions.create({model, messages, stream: true, ...GREEDY});
  let text = '';
  for await (const chunk of stream) {
    if (chunk.choices.length > 0 && chunk.choices[0].delta.content) {
      text += chunk.choices[0].delta.content;
    }
  }
  assert.equal(text, whole.choices[0].message.content);
});

test('sampling with a seed is reproducible', async () => {
  const params = {model, prompt: 'Seeded', temperature: 0.9, top_p: 0.9, seed: 1234,
                  max_tokens: 10, ignore_eos: true};
  const a = await client.completions.create(params);
  const b = await client.completions.create(params);
  assert.equal(a.choices[0].text, b.choices[0].text);
});
