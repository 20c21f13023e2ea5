import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { snapshotFirewall } from './firewall-snapshot.js';
import { runTool } from './run-tool.js';

/** Where root's programs live even when PATH leaves the sbin directories out. */
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const searchPath = (): string[] => [...(process.env.PATH ?? '').split(':').filter((d) => d !== ''), ...SBIN];

/** The absolute path of an executable on PATH (or in an sbin directory), if there is one. */
export function findProgram(name: string): string | undefined {
  for (const dir of searchPath()) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** A Docker Engine this test started for itself: own socket, data-root and exec-root under `dir`. */
export interface DockerEngine {
  /** The environment for docker and docker-compose: DOCKER_HOST is the private socket. */
  readonly env: NodeJS.ProcessEnv;
  readonly version: string;
  /**
   * Stops the engine by its PID, deletes everything it stored (images, containers, volumes)
   * and puts the host's firewall back as it was before the engine started.
   */
  stop(): Promise<void>;
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([p, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref())]);

/** Mount points at or below `dir` (overlays, network namespaces) that a killed engine may leave. */
function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => (line.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return points.sort((a, b) => b.length - a.length);
}

/**
 * Starts Debian's dockerd as root on a private socket, data-root and exec-root under `dir`
 * (containers-docker.md), so nothing of another engine is touched. No default bridge
 * (`--bridge=none`): compose makes its own networks, builds use the host network, and no
 * docker0 interface outlives the test.
 */
export async function startDockerEngine(dockerd: string, dir: string): Promise<DockerEngine> {
  const socket = join(dir, 'docker.sock');
  const logPath = join(dir, 'dockerd.log');
  await mkdir(dir, { recursive: true });
  const restoreFirewall = await snapshotFirewall();
  const log = openSync(logPath, 'a');
  const env = { ...process.env, PATH: searchPath().join(':') };
  const child = spawn(
    dockerd,
    ['--data-root', join(dir, 'root'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'dockerd.pid'), '-H', `unix://${socket}`, '--bridge=none'],
    { env, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if ((await within(exited(child), 30_000)) === 'timeout') {
        child.kill('SIGKILL');
        await exited(child);
      }
    }
    for (const point of mountsUnder(dir)) await runTool('umount', ['-l', point], { timeoutMs: 30_000 });
    await rm(dir, { recursive: true, force: true });
    await restoreFirewall();
  };
  const deadline = Date.now() + 60_000;
  while (!(await ping(socket))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = readFileSync(logPath, 'utf8').slice(-3000);
      await stop();
      throw new Error(`dockerd did not come up (exit ${String(child.exitCode)}):\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const dockerEnv = { ...env, DOCKER_HOST: `unix://${socket}` };
  const version = await runTool('docker', ['version', '--format', '{{.Server.Version}}'], { env: dockerEnv, timeoutMs: 30_000 });
  return { env: dockerEnv, version: version.stdout.trim(), stop };
}
