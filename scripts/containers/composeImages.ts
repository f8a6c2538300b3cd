/**
 * What docker-compose.yml and the Dockerfile pin, read from their text (as tools/cluster/pins.ts
 * does) so that the local images cannot drift from the pins: every `image:` of the compose file
 * sorted into the kind of image we know how to make here, and the Node majors the Dockerfile's
 * FROM lines name. A pin we cannot make is an error naming it, not a silent substitute.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ImageSpec =
  | { kind: 'postgres'; tag: string; major: number }
  | { kind: 'temporal-server' | 'temporal-admin-tools' | 'temporal-ui' | 'prometheus'; tag: string; version: string }
  | { kind: 'service'; tag: string }
  /** Not made here (Grafana is not packaged by Debian): the local run leaves its profile out. */
  | { kind: 'skipped'; tag: string; why: string };

/** The fully qualified name a short Docker Hub name stands for (what podman looks up). */
export function qualified(image: string): string {
  if (!image.includes('/')) return `docker.io/library/${image}`;
  const registry = image.split('/')[0]!;
  return registry === 'localhost' || /[.:]/.test(registry) ? image : `docker.io/${image}`;
}

export function imageSpec(image: string): ImageSpec {
  const tag = qualified(image);
  let m: RegExpExecArray | null;
  if ((m = /^postgres:(\d+)$/.exec(image))) return { kind: 'postgres', tag, major: Number(m[1]) };
  if ((m = /^temporalio\/server:(\d+\.\d+\.\d+)$/.exec(image))) return { kind: 'temporal-server', tag, version: m[1]! };
  if ((m = /^temporalio\/admin-tools:(\d+\.\d+\.\d+)$/.exec(image))) return { kind: 'temporal-admin-tools', tag, version: m[1]! };
  if ((m = /^temporalio\/ui:(\d+\.\d+\.\d+)$/.exec(image))) return { kind: 'temporal-ui', tag, version: m[1]! };
  if ((m = /^prom\/prometheus:v(\d+\.\d+\.\d+)$/.exec(image))) return { kind: 'prometheus', tag, version: m[1]! };
  if (/^grafana\//.test(image))
    return { kind: 'skipped', tag, why: 'Grafana is not packaged by Debian (compose profile `grafana`)' };
  if (image === 'dunning-service') return { kind: 'service', tag: 'localhost/dunning-service' };
  throw new Error(`docker-compose.yml names ${image}: scripts/containers does not know how to make it locally`);
}

/** Every distinct `image:` of the compose file, in order of appearance. */
export function composeImages(composeFile: string): ImageSpec[] {
  const text = readFileSync(composeFile, 'utf8');
  const images = [...text.matchAll(/^\s+image:\s*['"]?([^\s'"#]+)/gm)].map((m) => m[1]!);
  return [...new Set(images)].map(imageSpec);
}

/** The Node majors of the Dockerfile's `FROM node:<major>-bookworm-slim` lines (build and run stages). */
export function dockerfileNodeMajors(dockerfile: string): number[] {
  const text = readFileSync(dockerfile, 'utf8');
  const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
  const majors = new Set<number>();
  for (const from of froms) {
    const m = /^node:(\d+)-bookworm-slim$/.exec(from);
    if (m) majors.add(Number(m[1]));
    else if (!/^[a-z]+$/.test(from))
      throw new Error(`${dockerfile}: FROM ${from}: only node:<major>-bookworm-slim is made locally`);
  }
  return [...majors];
}

export const COMPOSE_FILE = (repo: string) => join(repo, 'docker-compose.yml');
