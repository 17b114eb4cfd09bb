import { DOMParser, type Element } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import type { DistributionJob } from './distribution-job.entity.js';
import { JOB_NS, renderJobJson, renderJobXml, toJobView } from './job-document.js';
import { OPENCAST_JOB_CHILDREN } from '../../test/helpers/opencast-job.js';

const job: DistributionJob = {
  id: 42,
  version: 3,
  operation: 'Distribute',
  status: 'FINISHED',
  argsJson: JSON.stringify(['engage-player', '<mediapackage/>', '["t1"]', 'true', 'false']),
  payload: '<?xml version="1.0"?><track id="t1"/>###<?xml version="1.0"?><track id="t2"/>',
  failureReason: null,
  creator: 'opencast_system_account',
  organization: 'mh_default_org',
  createdHost: 'http://node',
  processingHost: 'http://node',
  dateCreated: new Date('2026-01-01T10:00:00.000Z'),
  dateStarted: new Date('2026-01-01T10:00:01.500Z'),
  dateCompleted: new Date('2026-01-01T10:00:04.000Z'),
  registryJobId: null,
  registryStatus: null,
};

describe(renderJobXml.name, () => {
  it("writes JaxbJob's attributes and children, in its order, with times in ms", () => {
    const root = new DOMParser().parseFromString(
      renderJobXml(toJobView(job, 'http://node')),
      'text/xml',
    ).documentElement!;
    expect(root.namespaceURI).toBe(JOB_NS);
    expect([
      root.getAttribute('id'),
      root.getAttribute('version'),
      root.getAttribute('status'),
      root.getAttribute('type'),
    ]).toEqual(['42', '3', 'FINISHED', 'org.opencastproject.distribution.download']);
    const children: Element[] = [];
    for (let node = root.firstChild; node; node = node.nextSibling) children.push(node as Element);
    expect(children.map((node) => node.localName)).toEqual(OPENCAST_JOB_CHILDREN);
    const text = (name: string) => root.getElementsByTagNameNS(JOB_NS, name)[0].textContent;
    expect(text('url')).toBe('http://node/services/job/42.xml');
    expect(text('queueTime')).toBe('1500');
    expect(text('runTime')).toBe('2500');
    expect(text('payload')).toBe(job.payload);
    expect(
      [...Array(root.getElementsByTagNameNS(JOB_NS, 'arg').length).keys()].map(
        (i) => root.getElementsByTagNameNS(JOB_NS, 'arg')[i].textContent,
      ),
    ).toEqual(JSON.parse(job.argsJson));
  });

  it('leaves out what a queued job does not have yet', () => {
    const queued = {
      ...job,
      status: 'QUEUED' as const,
      payload: null,
      processingHost: null,
      dateStarted: null,
      dateCompleted: null,
    };
    const xml = renderJobXml(toJobView(queued, 'http://node'));
    for (const absent of [
      'processingHost',
      'dateStarted',
      'dateCompleted',
      'queueTime',
      'runTime',
      'payload',
      'failureReason',
    ]) {
      expect(xml).not.toContain(`<${absent}>`);
    }
  });
});

describe(renderJobJson.name, () => {
  it('wraps the job and its args as Opencast does', () => {
    expect(renderJobJson(toJobView(job, 'http://node'))).toMatchObject({
      job: {
        id: 42,
        status: 'FINISHED',
        operation: 'Distribute',
        args: { arg: JSON.parse(job.argsJson) },
        runTime: 2500,
      },
    });
  });
});
