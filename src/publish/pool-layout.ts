import { checkArchivePath } from '../deb/archive-path.js';
import { publishError } from './publish-error.js';

// Debian's source package names: lowercase letters, digits, + - . ; be lenient about case.
const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9+.~_-]*$/;

/** Debian's pool hash directory: `libfoo` → `libf`, `foo` → `f`. */
export function poolLetter(source: string): string {
  return source.startsWith('lib') && source.length > 3 ? source.slice(0, 4) : source.slice(0, 1);
}

/** `pool/COMPONENT/<letter>/SOURCE`, where every file of a source package and its binaries goes. */
export function poolDirectory(component: string, source: string): string {
  if (!SOURCE_NAME.test(source) || source.length > 200) {
    throw publishError('conflict', `source package name ${JSON.stringify(source.slice(0, 200))} cannot name a pool directory`, { source: source.slice(0, 200) });
  }
  return `pool/${component}/${poolLetter(source)}/${source}`;
}

/** The last segment of an archive path, checked to be a plain file name. */
export function fileNameOf(path: string, what: string): string {
  checkArchivePath(path, what);
  return path.slice(path.lastIndexOf('/') + 1);
}
