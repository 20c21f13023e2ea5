/**
 * Every error a user can cause, with the exit code of the CLI and the HTTP status of the API.
 * `docs/errors.md` documents each code; a test keeps the two in step.
 */
export interface ErrorSpec {
  /** Exit code of the CLI: 1 operation failed, 2 usage error. */
  readonly exit: 1 | 2;
  /** HTTP status the REST API answers with. */
  readonly status: number;
  /** What the user can do about it; appended to the message. */
  readonly hint: string;
}

export const ERROR_CODES = {
  DEBSTASH_E_USAGE: {
    exit: 2,
    status: 400,
    hint: 'Run the command with --help to see its arguments.',
  },
  DEBSTASH_E_NOT_IMPLEMENTED: {
    exit: 1,
    status: 501,
    hint: 'This build does not have the feature yet; see the README for what is available.',
  },
  DEBSTASH_E_DEB822_SYNTAX: {
    exit: 1,
    status: 400,
    hint: 'Fix the named line: every line is "Field: value", a continuation starting with a space or tab, or a blank line between paragraphs.',
  },
  DEBSTASH_E_DEB822_DUPLICATE_FIELD: {
    exit: 1,
    status: 400,
    hint: 'A field may appear only once in a paragraph (names are case-insensitive); remove the repeated one.',
  },
  DEBSTASH_E_DEB822_TOO_LARGE: {
    exit: 1,
    status: 413,
    hint: 'The paragraph is larger than the limit; the input is probably corrupt or hostile.',
  },
  DEBSTASH_E_ENCODING: {
    exit: 1,
    status: 400,
    hint: 'The file must be UTF-8 text; check that it was not truncated or mangled in transit.',
  },
  DEBSTASH_E_VERSION_INVALID: {
    exit: 1,
    status: 400,
    hint: 'A Debian version is [epoch:]upstream[-revision]; the upstream part starts with a digit.',
  },
  DEBSTASH_E_RELATION_INVALID: {
    exit: 1,
    status: 400,
    hint: 'Write relations as "name[:arch] [(op version)] [[arch ...]] [<profile ...>]", joined by "|" and ",".',
  },
  DEBSTASH_E_DEB_INVALID: {
    exit: 1,
    status: 400,
    hint: 'The file is not a valid Debian binary package; rebuild it with dpkg-deb.',
  },
  DEBSTASH_E_DEB_TRUNCATED: {
    exit: 1,
    status: 400,
    hint: 'The package file ends early; download or copy it again.',
  },
  DEBSTASH_E_DEB_UNSAFE_PATH: {
    exit: 1,
    status: 400,
    hint: 'The package contains a path that escapes its directory ("..", absolute path); do not trust it.',
  },
  DEBSTASH_E_COMPRESSION_UNSUPPORTED: {
    exit: 1,
    status: 415,
    hint: 'Supported compressions are none, gzip, xz, bzip2 and zstd.',
  },
  DEBSTASH_E_COMPRESSION_CORRUPT: {
    exit: 1,
    status: 400,
    hint: 'The compressed data is corrupt or truncated; fetch it again.',
  },
  DEBSTASH_E_APT_SOURCES_INVALID: {
    exit: 1,
    status: 400,
    hint: 'Fix the apt source entry (see sources.list(5)); each needs Types, URIs, Suites and Components.',
  },
  DEBSTASH_E_NO_APT_SOURCE: {
    exit: 1,
    status: 500,
    hint: 'Configure an upstream explicitly (debstash.yaml or mirror create), or add a "deb" entry to /etc/apt/sources.list.d/.',
  },
  DEBSTASH_E_POOL_HASH_MISMATCH: {
    exit: 1,
    status: 502,
    hint: 'The file is not what its index promised (size or SHA-256 differ); it was not stored. Fetch it again or check the upstream.',
  },
  DEBSTASH_E_POOL_NOT_FOUND: {
    exit: 1,
    status: 404,
    hint: 'The pool has no file with that SHA-256; run "debstash db check" to find what refers to it.',
  },
  DEBSTASH_E_POOL_VIEW_BROKEN: {
    exit: 1,
    status: 500,
    hint: 'A published pool path leads to a pool file that is missing or damaged; run "debstash db check", then fetch the file again (mirror update) or republish.',
  },
  DEBSTASH_E_POOL_WRITE: {
    exit: 1,
    status: 507,
    hint: 'Writing to the pool failed (disk full or not writable); free space or fix permissions, then run again. Nothing partial was kept.',
  },
  DEBSTASH_E_MIRROR_EXISTS: {
    exit: 1,
    status: 409,
    hint: 'Pick another name, or change the existing mirror with "debstash mirror edit".',
  },
  DEBSTASH_E_MIRROR_NOT_FOUND: {
    exit: 1,
    status: 404,
    hint: 'Check the name with "debstash mirror list".',
  },
  DEBSTASH_E_REPO_EXISTS: {
    exit: 1,
    status: 409,
    hint: 'Pick another name, or add to the existing repo with "debstash repo add".',
  },
  DEBSTASH_E_REPO_NOT_FOUND: {
    exit: 1,
    status: 404,
    hint: 'Check the name with "debstash repo list".',
  },
  DEBSTASH_E_SNAPSHOT_EXISTS: {
    exit: 1,
    status: 409,
    hint: 'Snapshots are immutable: pick another name (e.g. with a date), or drop the old one first.',
  },
  DEBSTASH_E_SNAPSHOT_NOT_FOUND: {
    exit: 1,
    status: 404,
    hint: 'Check the name with "debstash snapshot list".',
  },
  DEBSTASH_E_IN_USE: {
    exit: 1,
    status: 409,
    hint: 'Something still uses it (a publish, a --deps-from mirror); switch or drop that first.',
  },
  DEBSTASH_E_PACKAGE_CONFLICT: {
    exit: 1,
    status: 409,
    hint: 'A different file with the same name, version and architecture is already in the repo; remove it first or use --force-replace.',
  },
  DEBSTASH_E_PUBLISH_EXISTS: {
    exit: 1,
    status: 409,
    hint: 'That prefix and distribution are published already; switch what they show with "debstash publish switch", or drop them first.',
  },
  DEBSTASH_E_PUBLISH_NOT_FOUND: {
    exit: 1,
    status: 404,
    hint: 'Check the distribution and --prefix with "debstash publish list".',
  },
  DEBSTASH_E_KEY_NOT_FOUND: {
    exit: 1,
    status: 404,
    hint: "List the keys with \"debstash key list\"; make one with \"debstash key generate\" or add one with \"debstash key import\".",
  },
  DEBSTASH_E_KEY_EXISTS: {
    exit: 1,
    status: 409,
    hint: "The key is already in the store; use it as it is (see \"debstash key list\").",
  },
  DEBSTASH_E_KEY_INVALID: {
    exit: 1,
    status: 400,
    hint: "Give one OpenPGP secret key, armored or binary, e.g. the output of \"gpg --export-secret-keys --armor KEYID\".",
  },
  DEBSTASH_E_KEY_REFUSED: {
    exit: 1,
    status: 422,
    hint: "apt accepts signatures by version 4 Ed25519 keys and RSA keys of 2048 bits or more that can sign and have not expired; generate one with \"debstash key generate\".",
  },
  DEBSTASH_E_KEY_PASSPHRASE: {
    exit: 1,
    status: 403,
    hint: "Give the key's passphrase in DEBSTASH_KEY_PASSPHRASE, or in a file named by --passphrase-file or DEBSTASH_KEY_PASSPHRASE_FILE (one trailing newline is ignored); it is never asked for or taken as an argument.",
  },
  DEBSTASH_E_KEY_STORE: {
    exit: 1,
    status: 500,
    hint: 'A key in the store, or a file of DATA_DIR/keys/ being imported into it, is unreadable or damaged; move a damaged file out of DATA_DIR/keys/ and import the key again with "debstash key import".',
  },
  DEBSTASH_E_PUBLISH_NAME_INVALID: {
    exit: 2,
    status: 400,
    hint: "A prefix, distribution or component is one or more segments of letters, digits and . _ + - (none starting with \".\"); an architecture is a Debian architecture name.",
  },
  DEBSTASH_E_PUBLISH_CONFLICT: {
    exit: 1,
    status: 409,
    hint: "Two packages would be published as one pool file with different contents, or a package's index paragraph does not match its file; publish only one of them.",
  },
  DEBSTASH_E_PUBLISH_BUSY: {
    exit: 1,
    status: 409,
    hint: "Another debstash process is publishing to the same prefix; run the command again when it is done.",
  },
  DEBSTASH_E_PUBLISH_SIGNATURE: {
    exit: 1,
    status: 500,
    hint: "The signing key made a signature that its own public key does not verify, or that apt would refuse; check the key with \"debstash key list\". Nothing was published.",
  },
  DEBSTASH_E_PUBLISH_WRITE: {
    exit: 1,
    status: 507,
    hint: "Writing the published tree failed (disk full, read-only or not writable); free space or fix the permissions of the data directory's public/ and publish again. The previous publish is still served.",
  },
  DEBSTASH_E_STORE: {
    exit: 1,
    status: 500,
    hint: 'The metadata store failed; check the data directory (or database) is reachable and writable. Nothing was changed.',
  },
  DEBSTASH_E_STORE_BUSY: {
    exit: 1,
    status: 503,
    hint: 'Another debstash process held the metadata store for minutes; check for a stuck process on the same data dir (or database), then try again. Nothing was changed.',
  },
  DEBSTASH_E_BUSY: {
    exit: 1,
    status: 409,
    hint: 'Another debstash process (named in the message) is working on it; try again when it is done. A lock of a process that died is taken over on its own.',
  },
  DEBSTASH_E_STORE_VERSION: {
    exit: 1,
    status: 500,
    hint: 'The data directory was written by a newer debstash; upgrade debstash or point --data-dir elsewhere.',
  },
  DEBSTASH_E_UPSTREAM_HTTP: {
    exit: 1,
    status: 502,
    hint: 'The upstream answered with an HTTP error after retries; check the URL, distribution and component, or try again later.',
  },
  DEBSTASH_E_UPSTREAM_UNREACHABLE: {
    exit: 1,
    status: 502,
    hint: 'The upstream could not be reached (DNS, refused or reset connection) after retries; check the URL and the network.',
  },
  DEBSTASH_E_UPSTREAM_TIMEOUT: {
    exit: 1,
    status: 504,
    hint: 'The upstream stopped answering within the timeout; try again, or raise the timeout for slow links.',
  },
  DEBSTASH_E_KEYRING_INVALID: {
    exit: 1,
    status: 400,
    hint: 'The keyring must be an OpenPGP public key file, binary (.gpg) or armored (.asc), e.g. /usr/share/keyrings/debian-archive-keyring.gpg.',
  },
  DEBSTASH_E_SIGNATURE_INVALID: {
    exit: 1,
    status: 502,
    hint: 'The Release signature does not verify: the file was altered or is not signed; nothing was changed. Do not trust this upstream until it is fixed.',
  },
  DEBSTASH_E_SIGNATURE_UNKNOWN_KEY: {
    exit: 1,
    status: 502,
    hint: 'The Release is signed by a key that is not in the mirror keyring; add the archive key with --keyring if you trust it.',
  },
  DEBSTASH_E_RELEASE_INVALID: {
    exit: 1,
    status: 502,
    hint: 'The upstream Release file is malformed or lacks SHA256 sums; the upstream is broken or not a Debian archive.',
  },
  DEBSTASH_E_RELEASE_STALE: {
    exit: 1,
    status: 502,
    hint: 'The upstream Release is past its Valid-Until (or dated in the future): a replay or a stale mirror; nothing was changed.',
  },
  DEBSTASH_E_INDEX_HASH_MISMATCH: {
    exit: 1,
    status: 502,
    hint: 'An index file does not match the SHA-256 that the signed Release lists; the upstream is mid-update or tampered. Try again later.',
  },
  DEBSTASH_E_INDEX_INVALID: {
    exit: 1,
    status: 502,
    hint: 'An upstream index entry lacks a required field (Filename, Size, SHA256); the upstream index is broken.',
  },
  DEBSTASH_E_INDEX_MISSING: {
    exit: 1,
    status: 502,
    hint: 'The signed Release does not list the index for this component/architecture; check the mirror components and architectures.',
  },
  DEBSTASH_E_UNSAFE_PATH: {
    exit: 1,
    status: 502,
    hint: 'An index names a file outside the archive ("..", absolute path); the entry is refused. Report the upstream.',
  },
  DEBSTASH_E_UNRESOLVED_DEPENDENCIES: {
    exit: 1,
    status: 422,
    hint: 'Some dependencies cannot be satisfied from the mirror (see the list); add the component or a --deps-from mirror, or drop --strict-deps to warn instead.',
  },
  DEBSTASH_E_FILTER_UNMATCHED: {
    exit: 1,
    status: 422,
    hint: 'A term of the mirror filter matches no upstream package (a typo in a field, value or name?); fix the filter, or drop --strict-filter / strict_filter to warn instead.',
  },
  DEBSTASH_E_CANCELLED: {
    exit: 1,
    status: 499,
    hint: 'The operation was cancelled and the previous state is intact; package files it had downloaded and verified are kept for the next run ("debstash db cleanup" reclaims them if there is none).',
  },
  DEBSTASH_E_QUERY_SYNTAX: {
    exit: 2,
    status: 400,
    hint: 'See docs/query.md for the filter grammar (aptly compatible).',
  },
  // -- publish (issue 5) codes go above this line --
  DEBSTASH_E_INTERNAL: {
    exit: 1,
    status: 500,
    hint: 'This is a bug in debstash: report it with the request id from the server log.',
  },
  DEBSTASH_E_WORKER_FAILED: {
    exit: 1,
    status: 500,
    hint: 'A worker thread stopped without finishing its job (out of memory, or a bug); run the operation again, and report it if it repeats.',
  },
  DEBSTASH_E_UNAUTHORIZED: {
    exit: 1,
    status: 401,
    hint: 'Send "Authorization: Bearer TOKEN" with a token from "debstash token create" (or HTTP basic auth with the token as password for the APT tree).',
  },
  DEBSTASH_E_FORBIDDEN: {
    exit: 1,
    status: 403,
    hint: 'The token is valid but its scope is too low for this request; create one with the scope named in the details ("debstash token create --scope SCOPE").',
  },
  DEBSTASH_E_ROUTE_NOT_FOUND: {
    exit: 1,
    status: 404,
    hint: 'See /api/openapi.json (or docs/api.md) for the routes of the REST API.',
  },
  DEBSTASH_E_METHOD_NOT_ALLOWED: {
    exit: 1,
    status: 405,
    hint: 'The route exists but not with this method; the Allow header lists the methods it takes.',
  },
  DEBSTASH_E_UPLOAD_TOO_LARGE: {
    exit: 1,
    status: 413,
    hint: 'The request body is larger than the server accepts; raise the upload limit of the server or upload a smaller package.',
  },
  DEBSTASH_E_MEDIA_TYPE: {
    exit: 1,
    status: 415,
    hint: 'Send JSON as application/json, and packages as application/vnd.debian.binary-package or multipart/form-data.',
  },
  DEBSTASH_E_TASK_NOT_FOUND: {
    exit: 1,
    status: 404,
    hint: 'Tasks are kept in the store, the newest 100 after they end; list them with GET /api/tasks.',
  },
  DEBSTASH_E_TASK_ABANDONED: {
    exit: 1,
    status: 500,
    hint: 'The process running the task stopped (killed, crashed or restarted) before it ended; what the task would have changed was not committed, so run it again.',
  },
  DEBSTASH_E_TOKEN_EXISTS: {
    exit: 1,
    status: 409,
    hint: 'Pick another --name, or revoke the old token first with "debstash token revoke NAME".',
  },
  DEBSTASH_E_TOKEN_NOT_FOUND: {
    exit: 1,
    status: 404,
    hint: 'Check the name with "debstash token list".',
  },
  // -- server, REST API, auth (issue 6) codes go above this line --
  DEBSTASH_E_CONFIG_NOT_FOUND: {
    exit: 2,
    status: 400,
    hint: 'Check --config / DEBSTASH_CONFIG; without either, ./debstash.yaml or the built-in default is used.',
  },
  DEBSTASH_E_CONFIG_SYNTAX: {
    exit: 2,
    status: 400,
    hint: 'Fix the YAML at the line and column given (indentation, quotes, a missing ":").',
  },
  DEBSTASH_E_CONFIG_INVALID: {
    exit: 2,
    status: 400,
    hint: 'Fix the setting named; docs/config.md lists every key, and debstash.schema.json lets an editor check the file.',
  },
  DEBSTASH_E_CONFIG_ENV: {
    exit: 2,
    status: 400,
    hint: 'Set the environment variable, or give a default with ${NAME:-default}; write $$ for a literal $.',
  },
  DEBSTASH_E_LISTEN_IN_USE: {
    exit: 1,
    status: 500,
    hint: 'Another process listens there: stop it, or choose another address (server.listen in debstash.yaml, or --listen).',
  },
  DEBSTASH_E_LISTEN_ADDRESS: {
    exit: 2,
    status: 400,
    hint: 'Give an address of this machine as HOST:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080 (server.listen in debstash.yaml, or --listen).',
  },
  DEBSTASH_E_LISTEN_DENIED: {
    exit: 1,
    status: 500,
    hint: 'Ports below 1024 need privileges: use a port of 1024 or more (e.g. 8080) and put a proxy or port forward in front if clients need port 80.',
  },
  DEBSTASH_E_DATA_DIR: {
    exit: 1,
    status: 500,
    hint: 'Point --data-dir (or DEBSTASH_DATA_DIR) at a directory debstash may create and write, not at a file.',
  },
  // -- debstash.yaml, apply, up (issue 7) codes go above this line --
  DEBSTASH_E_TREE_FORBIDDEN: {
    exit: 1,
    status: 403,
    hint: 'The server may not read a file of the published tree: give the user debstash runs as read access to public/ (publishes write 0644 files).',
  },
  DEBSTASH_E_TREE_UNAVAILABLE: {
    exit: 1,
    status: 503,
    hint: 'A file of the published tree could not be opened (out of file descriptors, or an I/O error): raise the open-files limit (ulimit -n, LimitNOFILE=) or check the disk; clients are told to retry.',
  },
  // -- serving (issue 11) codes go above this line --
  DEBSTASH_E_SERVER_UNREACHABLE: {
    exit: 1,
    status: 502,
    hint: 'The debstash server given with --server (or the one the data dir names in server.json) did not answer, or broke off mid-answer: check that it runs and its URL, or run the command with --local on the server\'s data dir.',
  },
  // -- CLI through a server (issue 12) codes go above this line --
  DEBSTASH_E_SERVE_WORKER_FAILED: {
    exit: 1,
    status: 500,
    hint: 'The worker processes of serve --workers did not start (the log says why): check that the machine allows more processes and memory, or serve with --workers 1.',
  },
  // -- fair, multi-core serving (issue 12) codes go above this line --
  DEBSTASH_E_RATE_LIMITED: {
    exit: 1,
    status: 429,
    hint: 'Too many write or search requests from this address or token: wait the Retry-After seconds and retry. Operators set the limits with DEBSTASH_RATE_WRITE and DEBSTASH_RATE_SEARCH (requests per second, "/BURST" optional, 0 for none).',
  },
  DEBSTASH_E_TOO_MANY_CONNECTIONS: {
    exit: 1,
    status: 503,
    hint: 'One address holds more open connections than the server allows (DEBSTASH_MAX_CONNECTIONS_PER_ADDRESS, default 256): close idle connections, or raise the limit for a proxy that carries many clients.',
  },
  // -- hostile clients (issue 14) codes go above this line --
  DEBSTASH_E_UPSTREAM_LIMIT: {
    exit: 1,
    status: 502,
    hint: 'The upstream sent more (or slower, or stranger) than debstash accepts, so the update stopped and changed nothing. If the archive is genuine and that large or slow, raise the limit with the environment variable the message names (docs/limits.md).',
  },
  // -- hostile upstream (issue 14) codes go above this line --
  DEBSTASH_E_TREE_DAMAGED: {
    exit: 1,
    status: 500,
    hint: 'A file the server was asked for no longer has the bytes it is published as (changed on disk); it was not served. Run "debstash db check --deep" to list every damaged file; remove a damaged pool file and store it again (mirror update --force, repo add), or drop and publish again for a damaged index.',
  },
  // -- integrity (issue 14 item 2) codes go above this line --
  DEBSTASH_E_UI_NOT_BUILT: {
    exit: 1,
    status: 503,
    hint: 'This debstash was installed without its web UI (dist/ui is missing): run "npm run build" in its source tree, or install a packaged release; the APT tree and the API work without it.',
  },
  // -- web UI (issue 15) codes go above this line --
  DEBSTASH_E_STORE_UNREACHABLE: {
    exit: 1,
    status: 503,
    hint: 'The PostgreSQL server named by DEBSTASH_DATABASE_URL (or database: in debstash.yaml) did not answer: check that it runs, its host and port, and that this machine may reach it.',
  },
  DEBSTASH_E_STORE_AUTH: {
    exit: 1,
    status: 503,
    hint: 'PostgreSQL refused the user or password of the database URL: check them (and pg_hba.conf), then try again.',
  },
  DEBSTASH_E_CONFIG_DATABASE_URL: {
    exit: 2,
    status: 400,
    hint: 'A database URL is postgres://USER:PASSWORD@HOST:PORT/DATABASE (postgresql:// works too); unset it for the embedded SQLite store.',
  },
  DEBSTASH_E_MIGRATE_TARGET: {
    exit: 1,
    status: 409,
    hint: 'db migrate copies into an empty PostgreSQL database, or one it filled from this same store before: give it a new database, or empty that one.',
  },
  // -- PostgreSQL store (issue 13) codes go above this line --
  DEBSTASH_E_STORAGE_BAD_URL: {
    exit: 2,
    status: 500,
    hint: 'Give the storage as s3://BUCKET/PREFIX (DEBSTASH_STORAGE_URL or storage: in debstash.yaml), with ?endpoint=, ?region=, ?path_style=1 if needed; credentials go in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the AWS credential chain, never in the URL.',
  },
  DEBSTASH_E_STORAGE_UNREACHABLE: {
    exit: 1,
    status: 503,
    hint: 'The S3 endpoint did not answer, or kept answering 5xx/SlowDown after the retries: check the endpoint URL (AWS_ENDPOINT_URL or ?endpoint=), the network, and the service\'s health.',
  },
  DEBSTASH_E_STORAGE_AUTH: {
    exit: 1,
    status: 503,
    hint: 'The S3 endpoint refused the credentials or the access: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or the AWS profile in use), the region, and the bucket policy.',
  },
  DEBSTASH_E_STORAGE_BUCKET_MISSING: {
    exit: 1,
    status: 503,
    hint: 'The bucket of the storage URL does not exist: create it (debstash never creates buckets) or fix the name.',
  },
  DEBSTASH_E_STORAGE_INTEGRITY: {
    exit: 1,
    status: 500,
    hint: 'An object in S3 does not hold what its key (a SHA-256) says, or the endpoint acknowledged other bytes than were sent: run "debstash db check --deep", delete the damaged object and run the mirror update or upload again.',
  },
  // -- S3 storage (issue 13) codes go above this line --
  DEBSTASH_E_APTLY_NOT_INSTALLED: {
    exit: 1,
    status: 500,
    hint: 'import aptly reads the installation through aptly itself: install aptly (1.5 or later, for its -json output) on this machine, or run the import where aptly is.',
  },
  DEBSTASH_E_APTLY_CONFIG: {
    exit: 2,
    status: 400,
    hint: 'Give the aptly.conf of the installation with --config FILE (a readable JSON file; aptly itself looks at ~/.aptly.conf and /etc/aptly.conf).',
  },
  DEBSTASH_E_APTLY_READ: {
    exit: 1,
    status: 500,
    hint: "An aptly command failed or printed what debstash does not understand: run the command shown by hand with the same -config to see why (a locked database: stop the aptly that holds it).",
  },
  DEBSTASH_E_APTLY_POOL_MISSING: {
    exit: 1,
    status: 409,
    hint: "aptly's database names a package file its pool does not have: repair aptly first (aptly db recover, or drop and re-add the package), then import again; nothing was imported.",
  },
  DEBSTASH_E_APTLY_POOL_CORRUPT: {
    exit: 1,
    status: 409,
    hint: "A file of aptly's pool does not have the SHA-256 aptly recorded for it: it is damaged; restore it (aptly mirror update -force, or re-add the package) and import again; nothing was imported.",
  },
  // -- aptly import (issue 16 section 4) codes go above this line --
  DEBSTASH_E_UPSTREAM_ON_DEMAND: {
    exit: 1,
    status: 502,
    hint: 'A package file of an on-demand mirror is not in the pool yet and its upstream did not deliver it (down, 404, too slow, or bytes that do not match the signed index): files fetched before are still served; try again when the upstream answers, or see the server log for the reason.',
  },
  DEBSTASH_E_ON_DEMAND_NOT_FETCHED: {
    exit: 1,
    status: 409,
    hint: 'The publish shows on-demand files that are not in the pool yet, and an exported tree must hold every file: make the mirror immediate ("debstash mirror edit NAME --policy immediate", then update) or let clients fetch them first; nothing was exported.',
  },
  // -- on-demand mirrors (issue 16 section 2) codes go above this line --
  DEBSTASH_E_SNAPSHOT_ID: {
    exit: 2,
    status: 400,
    hint: 'A snapshot ID is a UTC time written YYYYMMDDTHHMMSSZ (apt update --snapshot 20260101T120000Z), naming a real second.',
  },
  DEBSTASH_E_SNAPSHOT_TOO_OLD: {
    exit: 1,
    status: 404,
    hint: 'The publish keeps only its last generations (retention): ask for an ID at or after the oldest one named, or publish with a longer history.',
  },
  DEBSTASH_E_PUBLIC_URL: {
    exit: 2,
    status: 400,
    hint: 'Set server.public_url (or --public-url, DEBSTASH_PUBLIC_URL) to the absolute http(s) URL clients reach the server at, without query, fragment or credentials.',
  },
  // -- apt time travel (issue 16 section 3) codes go above this line --
  DEBSTASH_E_PUBLISH_BUCKET_CHANGED: {
    exit: 1,
    status: 409,
    hint: 'The published tree in the bucket changed while this publish read it (a file went missing, or the working copy no longer matches what was written): nothing new is served; publish again.',
  },
  // -- shared dists in the bucket (issue 13) codes go above this line --
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
