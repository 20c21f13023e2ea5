// The script of every thread of the shared worker pool (see shared-pool.ts): one entry per job kind.
import { serveWorkerJobs } from '../concurrency/serve-worker-jobs.js';
import { DESCRIBE_DEBS_JOB, describeDebsJob } from './deb-job.js';
import { DEB822_PARSE_JOB, parseDeb822Job } from './deb822-job.js';

serveWorkerJobs({ [DEB822_PARSE_JOB]: parseDeb822Job, [DESCRIBE_DEBS_JOB]: describeDebsJob });
