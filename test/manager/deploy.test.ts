// What can be checked here of the service files: the systemd units pass `systemd-analyze verify`
// with no warning (pointed at this checkout instead of /opt/hairpin), the container file names
// files that exist, runs as a non-root user with a health check, and the compose file runs it
// read-only with a volume. No container engine runs here: the image build is skipped, said so.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { haveSystemPrograms, which } from '../support/system.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const units = join(root, 'deploy', 'systemd');
const dir = mkdtempSync(join(tmpdir(), 'hairpin-deploy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!haveSystemPrograms('systemd-analyze'))('systemd units', () => {
  for (const unit of readdirSync(units).filter((f) => f.endsWith('.service'))) {
    it(`${unit} passes systemd-analyze verify without a warning, sandboxed`, async () => {
      const text = readFileSync(join(units, unit), 'utf8');
      for (const line of [
        'DynamicUser=yes',
        'ProtectSystem=strict',
        'NoNewPrivileges=yes',
        'ProtectHome=yes',
        'PrivateTmp=yes',
        'StateDirectory=',
      ]) {
        expect(text, unit).toContain(line);
      }
      // The one capability a manager may hold binds port 53; the agent holds none.
      expect(text.match(/^CapabilityBoundingSet=(.*)$/m)?.[1]).toBe(
        unit.includes('manager') ? 'CAP_NET_BIND_SERVICE' : '',
      );
      const local = join(dir, unit);
      writeFileSync(local, text.replaceAll('/opt/hairpin', root.replace(/\/$/, '')));
      const { stdout, stderr } = await promisify(execFile)('systemd-analyze', ['verify', local], { timeout: 60_000 });
      expect(`${stdout}${stderr}`).toBe('');
    });
  }
});

describe('container', () => {
  const containerfile = readFileSync(join(root, 'deploy', 'container', 'Containerfile'), 'utf8');
  const compose = readFileSync(join(root, 'deploy', 'container', 'compose.yaml'), 'utf8');

  it('copies files that exist, runs as a non-root user, checks /health', () => {
    const copied = [...containerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(copied.length).toBeGreaterThan(5);
    for (const source of copied) expect(existsSync(join(root, source)), source).toBe(true);
    // Every folder the CLI may import (docs/ARCHITECTURE.md's table) is in the image.
    const row = /^\| `cli\/` \| (.*) \|$/m.exec(readFileSync(join(root, 'docs', 'ARCHITECTURE.md'), 'utf8'))![1]!;
    for (const folder of ['bin', 'cli', ...[...row.matchAll(/`(\w+)\/`/g)].map((m) => m[1]!)])
      expect(copied, folder).toContain(folder);
    expect(containerfile).toMatch(/^USER node$/m);
    expect(containerfile).toMatch(/^HEALTHCHECK [\s\S]*\/health/m);
    expect(containerfile).toMatch(/^ENTRYPOINT \["node", "bin\/hairpin\.js"\]$/m);
    expect(containerfile).toMatch(/^VOLUME \/data$/m);
  });

  it('composes the manager read-only, without capabilities, with its state in a volume', () => {
    expect(compose).toMatch(/^ {4}read_only: true$/m);
    expect(compose).toMatch(/^ {6}- ALL$/m);
    expect(compose).toMatch(/^ {6}- hairpin-data:\/data$/m);
    expect(compose).toMatch(/^volumes:\n {2}hairpin-data:/m);
    const dockerfile = /dockerfile: (\S+)/.exec(compose)![1]!;
    expect(existsSync(join(root, dockerfile))).toBe(true);
  });
});

if (!which('podman') && !which('docker'))
  console.warn('skipping the image build: no container engine (podman or docker) on this machine');
