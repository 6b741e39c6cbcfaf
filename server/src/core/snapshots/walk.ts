/**
 * Lists the files of a snapshot target with their stamps (size, mtime in ns, inode) by stat only:
 * no content is read here.
 *
 * Symbolic links: one whose target is inside the project root is followed and stored as the
 * content it points to (a link to a directory is walked, with cycle detection); one pointing outside
 * the root, or nowhere, is refused with an error naming the link. FIFOs, sockets and devices are
 * refused (reading a FIFO would block). A name that is not valid UTF-8 is refused (a JS string
 * cannot carry it, so the manifest could not name it).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { SnapshotError, describeErrno, errnoCode } from './errors';
import { FileStamp } from './hashCache';
import { displayPath, relativeInside } from './paths';
import type { StatRequest } from './statWorker';

export interface WalkedFile extends FileStamp {
  /** Relative to the snapshot target, POSIX separators ('' for a single-file target). */
  path: string;
  /** What to read (the link's target for a symlink). */
  real: string;
  /** The key for the stat cache: relative to the project root, POSIX separators. */
  rootRel: string;
  executable: boolean;
}

export interface WalkResult {
  type: 'directory' | 'file';
  files: WalkedFile[];
}

export interface WalkOptions {
  /** From this many files on, a helper thread stats files too (default HELPER_MIN_FILES). */
  helperMinFiles?: number;
}

/**
 * `abs` must be inside `root` (already checked by the caller); `realRoot` is fs.realpathSync(root).
 * The files come out in manifest order (manifest.ts), so no sort of the whole list is needed.
 */
export function walkTarget(root: string, realRoot: string, abs: string, options: WalkOptions = {}): WalkResult {
  const rootRel = relativeInside(root, abs) ?? '';
  const top = statFollowing(abs, realRoot, abs);
  if (top.stat.isFile()) return { type: 'file', files: [fileEntry('', top.real, rootRel, top.stat)] };
  if (!top.stat.isDirectory()) throw special(abs);
  const listing: Listing = { folders: [], places: [], names: [], linked: new Map() };
  try {
    listTree(abs, top.real, realRoot, rootRel ? `${rootRel}/` : '', listing, options.helperMinFiles ?? HELPER_MIN_FILES);
    return { type: 'directory', files: stampFiles(listing) };
  } finally {
    listing.helper?.stop();
  }
}

/** The files of a tree, named but not yet stat()ed. */
interface Listing {
  /** The folders listed, each at its `index`. */
  folders: Place[];
  /** For each file, in manifest order: its folder and its name. */
  places: Place[];
  names: string[];
  /** The files reached through a link, by index: already stat()ed (through the link) when listed. */
  linked: Map<number, Followed>;
  /** The thread that stats files too, for a big tree. */
  helper?: StatHelper;
}

/**
 * A listed folder, shared by the entries of its files: their paths are made from it when asked for
 * rather than kept (100,000 files are 300,000 strings less for the garbage collector to move).
 */
interface Place {
  index: number;
  /** The folder's path, as walked (through links). */
  dir: string;
  /** Relative to the snapshot target, with a trailing '/' ('' for the target itself). */
  rel: string;
  /** Relative to the project root, with a trailing '/' (the stat cache's key of its files). */
  key: string;
}

class ListedFile implements WalkedFile {
  constructor(
    private readonly place: Place,
    private readonly name: string,
    /** The target's real path, for a file reached through a link. */
    private readonly linkTarget: string | undefined,
    readonly size: number,
    readonly mtimeNs: bigint,
    readonly ino: bigint,
    readonly executable: boolean,
  ) {}

  get path(): string {
    return this.place.rel + this.name;
  }

  get real(): string {
    return this.linkTarget ?? `${this.place.dir}/${this.name}`;
  }

  get rootRel(): string {
    return this.place.key + this.name;
  }
}

/**
 * Lists the folders of `abs`, depth first, each folder's entries in order: the files of a folder and
 * the subtrees of its subfolders then come out sorted by path as a whole (see Folder.keys).
 * `key` is `abs` relative to the project root, with a trailing '/'.
 */
function listTree(abs: string, realAbs: string, realRoot: string, key: string, listing: Listing, helperMinFiles: number): void {
  const { folders, places, names, linked } = listing;
  const place = (dir: string, rel: string, placeKey: string): Place => {
    const p: Place = { index: folders.length, dir, rel, key: placeKey };
    folders.push(p);
    return p;
  };
  const open: Folder[] = [listFolder(place(abs, '', key), { real: realAbs }, realRoot)];
  while (open.length) {
    const folder = open[open.length - 1];
    if (folder.next === folder.keys.length) {
      open.pop();
      continue;
    }
    const entry = folder.keys[folder.next++];
    const isDir = entry.charCodeAt(entry.length - 1) === SLASH;
    const name = isDir ? entry.slice(0, -1) : entry;
    const link = folder.links?.get(name);
    if (isDir) {
      const { place: parent, chain } = folder;
      // Strings are concatenated rather than path.join()ed: the parts are already normal, and join
      // (which re-normalises) would cost more than the lstat.
      const p = `${parent.dir}/${name}`;
      const real = link ? link.real : `${chain.real}/${name}`;
      if (link && inChain(chain, real)) throw new SnapshotError('symlink-cycle', `The link ${displayPath(p)} -> ${displayPath(real)} points to a folder that contains it (a cycle). Remove the link.`, p);
      open.push(listFolder(place(p, `${parent.rel}${name}/`, `${parent.key}${name}/`), { real, up: chain }, realRoot));
      continue;
    }
    if (link) linked.set(names.length, link);
    places.push(folder.place);
    names.push(name);
    // Started as soon as the tree proves big, so that the thread is up when the listing ends.
    if (names.length === helperMinFiles) listing.helper = startStatHelper();
  }
}

/**
 * stat()s every listed file: this thread from the first files on and, for a big tree, the helper
 * thread from the last ones back, each claiming chunks until they meet. The stamps go straight
 * into typed arrays (four 64-bit integers a file): keeping 100,000 Stats objects alive until the end
 * would cost more in garbage collection than the lstat calls themselves.
 */
function stampFiles(listing: Listing): WalkedFile[] {
  const { places, names, linked, helper } = listing;
  const n = names.length;
  const pathOf = (i: number): string => `${places[i].dir}/${names[i]}`;
  const stamps = new BigInt64Array(4 * n);
  // A file reached through a link has the stamp of its target, taken when it was listed.
  for (const [i, link] of linked) writeStamp(stamps, i, link.stat);
  const statChunk = (c: number): void => {
    for (let i = c * STAT_CHUNK, end = Math.min(n, i + STAT_CHUNK); i < end; i++) if (!linked.has(i)) writeStamp(stamps, i, lstat(pathOf(i)));
  };
  const chunks = Math.ceil(n / STAT_CHUNK);
  const shared = helper?.start(listing, chunks);
  /** The chunks whose stamps are the helper's. */
  const byHelper = new Uint8Array(chunks);
  let c = 0;
  for (; c < chunks && (!shared || Atomics.compareExchange(shared.claims, c, FREE, CLAIMED) === FREE); c++) statChunk(c);
  // The chunks the helper claimed: its stamps where it has finished; the chunk it is still on (or
  // one it will never finish, if it died) is done here again, into this thread's own array.
  for (; c < chunks; c++) {
    if (Atomics.load(shared!.claims, c) === DONE) byHelper[c] = 1;
    else statChunk(c);
  }

  const files = new Array<WalkedFile>(n);
  for (let i = 0; i < n; i++) {
    // (The helper stats the links themselves: what counts is their targets' stamps, kept above.)
    let from = byHelper[(i / STAT_CHUNK) | 0] && !linked.has(i) ? shared!.stamps : stamps;
    const at = 4 * i;
    // The helper marks a file it could not stat: stat it here, for the error.
    if (from[at] === -1n) {
      writeStamp(stamps, i, lstat(pathOf(i)));
      from = stamps;
    }
    const mode = from[at];
    // Listed as a file a moment ago: anything else now was swapped in during the walk.
    if ((mode & S_IFMT) !== S_IFREG) throw new SnapshotError('file-changed', `${displayPath(pathOf(i))} changed while the snapshot was being taken (it is no longer a regular file). Run the command again once nothing writes to the data.`, pathOf(i));
    // (The inode, unsigned, is kept in a signed slot: asUintN gives back the same bits.)
    files[i] = new ListedFile(places[i], names[i], linked.get(i)?.real, Number(from[at + 1]), from[at + 2], BigInt.asUintN(64, from[at + 3]), (mode & 0o100n) !== 0n);
  }
  return files;
}

function writeStamp(stamps: BigInt64Array, i: number, st: fs.BigIntStats): void {
  stamps[4 * i] = st.mode;
  stamps[4 * i + 1] = st.size;
  stamps[4 * i + 2] = st.mtimeNs;
  stamps[4 * i + 3] = st.ino;
}

const SLASH = 0x2f;

const S_IFMT = BigInt(fs.constants.S_IFMT);
const S_IFREG = BigInt(fs.constants.S_IFREG);

// ---------------------------------------------------------------- the helper thread for big trees

/**
 * From this many files on, a second thread stats files too. lstat() is most of the time of an
 * unchanged re-snapshot, but two threads calling it get only about 1.5 times as far as one, and a
 * thread takes some 30 ms to start and be handed the files: on 2 cores the walk breaks even between
 * 40,000 and 60,000 files, and is 20% faster at 100,000.
 */
const HELPER_MIN_FILES = 50_000;
/** Files per chunk: what the two threads claim at a time (and what one may do twice, at the end). */
const STAT_CHUNK = 256;
/** The state of a chunk, in the shared claims array. */
const FREE = 0;
const CLAIMED = 1;
const DONE = 2;

class StatHelper {
  constructor(private readonly worker: Worker) {}

  /**
   * Hands the files over. Returns the chunk claims the walking thread shares with the helper, and
   * the helper's stamps: read those of a chunk only after Atomics.load() saw it DONE, which makes
   * the helper's writes visible.
   */
  start(listing: Listing, chunks: number): { claims: Int32Array; stamps: BigInt64Array } {
    const { folders, places, names } = listing;
    const claims = new Int32Array(new SharedArrayBuffer(4 * chunks));
    const stamps = new BigInt64Array(new SharedArrayBuffer(32 * names.length));
    const dirOf = new Int32Array(names.length);
    for (let i = 0; i < names.length; i++) dirOf[i] = places[i].index;
    const req: StatRequest = {
      dirs: folders.map((f) => f.dir), names: names.join('\0'), dirOf,
      claims: claims.buffer as SharedArrayBuffer, results: stamps.buffer as SharedArrayBuffer, chunk: STAT_CHUNK, free: FREE, claimed: CLAIMED, done: DONE,
    };
    this.worker.postMessage(req);
    return { claims, stamps };
  }

  stop(): void {
    void this.worker.terminate();
  }
}

/** Bundled beside walk.js (scripts/build.mjs), as the hashing threads' script is. */
const STAT_WORKER = path.join(__dirname, 'statWorker.js');

/** A helper thread, starting up; undefined when none can be started (the walk then works alone). */
function startStatHelper(): StatHelper | undefined {
  if (!fs.existsSync(STAT_WORKER)) return undefined;
  try {
    const worker = new Worker(STAT_WORKER);
    worker.unref(); // never what keeps the process alive
    worker.on('error', () => undefined); // chunks it leaves unfinished are done by the walking thread
    return new StatHelper(worker);
  } catch {
    return undefined;
  }
}

/** A listed folder of the walk, and how far its entries have been taken. */
interface Folder {
  place: Place;
  chain: Chain;
  /**
   * The entry names, a folder's (or a link to one) followed by '/', sorted as plain strings. Since
   * '/' can appear in no name, "x/" sorts against every other name of the folder exactly as any
   * path "x/..." does: so walking the keys in this order yields the files sorted by their whole
   * path, as the manifest wants them (by UTF-16 code units, comparePaths).
   */
  keys: string[];
  /** Where each link among the entries leads (checked to stay inside the root). */
  links?: Map<string, Followed>;
  next: number;
}

function listFolder(place: Place, chain: Chain, realRoot: string): Folder {
  const dir = place.dir;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new SnapshotError('unreadable-file', `Cannot list the folder ${displayPath(dir)}: ${describeErrno(err)}. Fix its permissions and run the snapshot again.`, dir);
  }
  const keys = new Array<string>(entries.length);
  let links: Map<string, Followed> | undefined;
  let suspectName = false;
  for (let i = 0; i < entries.length; i++) {
    const d = entries[i];
    const name = d.name;
    if (d.isFile()) keys[i] = name;
    else if (d.isDirectory()) keys[i] = `${name}/`;
    else if (d.isSymbolicLink()) {
      const p = `${dir}/${name}`;
      const t = statFollowing(p, realRoot, p);
      if (!t.stat.isFile() && !t.stat.isDirectory()) throw special(p);
      (links ??= new Map()).set(name, t);
      keys[i] = t.stat.isDirectory() ? `${name}/` : name;
    } else throw special(`${dir}/${name}`);
    if (name.includes('\uFFFD')) suspectName = true;
  }
  if (suspectName) checkUtf8Names(dir);
  keys.sort();
  return { place, chain, keys, links, next: 0 };
}

interface Chain {
  real: string;
  up?: Chain;
}

function inChain(c: Chain | undefined, real: string): boolean {
  for (; c; c = c.up) if (c.real === real) return true;
  return false;
}

function fileEntry(rel: string, real: string, rootRel: string, st: fs.BigIntStats): WalkedFile {
  return { path: rel, real, rootRel, size: Number(st.size), mtimeNs: st.mtimeNs, ino: st.ino, executable: (st.mode & 0o100n) !== 0n };
}

function lstat(p: string): fs.BigIntStats {
  try {
    return fs.lstatSync(p, { bigint: true });
  } catch (err) {
    throw new SnapshotError(errnoCode(err) === 'ENOENT' ? 'file-changed' : 'unreadable-file', `Cannot read ${displayPath(p)}: ${describeErrno(err)}.`, p);
  }
}

/** A path's stat through links, and its real path. */
interface Followed {
  stat: fs.BigIntStats;
  real: string;
}

/** stat() through links, refusing links that leave the root. */
function statFollowing(p: string, realRoot: string, shown: string): Followed {
  const l = lstat(p);
  if (!l.isSymbolicLink()) return { stat: l, real: realOf(p) };
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch (err) {
    const target = readlinkQuietly(p);
    throw new SnapshotError('broken-symlink', `The symbolic link ${displayPath(shown)}${target ? ` -> ${target}` : ''} points nowhere (${describeErrno(err)}). Remove it or restore its target.`, p);
  }
  if (relativeInside(realRoot, real) === undefined) {
    throw new SnapshotError('symlink-outside-root', `The symbolic link ${displayPath(shown)} -> ${real} points outside the project (${realRoot}). Snapshots only store files inside the project: copy the data in, or remove the link.`, p);
  }
  return { stat: fs.statSync(real, { bigint: true }), real };
}

function realOf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function readlinkQuietly(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}

function special(p: string): SnapshotError {
  return new SnapshotError('special-file', `${displayPath(p)} is not a regular file, folder or link (a FIFO, socket or device). Move it out of the folder to snapshot.`, p);
}

function checkUtf8Names(dir: string): void {
  for (const raw of fs.readdirSync(dir, { encoding: 'buffer' })) {
    if (!Buffer.from(raw.toString('utf8'), 'utf8').equals(raw)) {
      throw new SnapshotError('bad-file-name', `${displayPath(path.join(dir, raw.toString('utf8')))}: the file name is not valid UTF-8. Rename it to snapshot this folder.`, dir);
    }
  }
}
