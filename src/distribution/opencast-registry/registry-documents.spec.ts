import { describe, expect, it } from 'vitest';
import {
  applyJobUpdate,
  isCurrentRegistration,
  parseRegistryJob,
  parseServiceRegistration,
  registryUpdateFor,
  type RegistryJob,
} from './registry-documents.js';

const JOB_XML =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
  '<ns3:job xmlns:ns3="http://job.opencastproject.org" id="4711" version="3" type="org.opencastproject.distribution.download" status="INSTANTIATED">' +
  '<ns3:creator>admin</ns3:creator><ns3:organization>mh_default_org</ns3:organization>' +
  '<ns3:operation>Distribute</ns3:operation><ns3:args><ns3:arg>engage-player</ns3:arg><ns3:arg>&lt;mediapackage/&gt;</ns3:arg></ns3:args>' +
  '<ns3:createdHost>http://media:3000</ns3:createdHost><ns3:jobLoad>0.1</ns3:jobLoad><ns3:futureField>kept</ns3:futureField></ns3:job>';

const job = (changes: Partial<RegistryJob> = {}): RegistryJob => ({ ...parseRegistryJob(JOB_XML), ...changes });

describe(parseRegistryJob.name, () => {
  it('reads a prefixed job document namespace-aware', () => {
    expect(parseRegistryJob(JOB_XML)).toEqual({
      id: 4711,
      version: 3,
      type: 'org.opencastproject.distribution.download',
      status: 'INSTANTIATED',
      operation: 'Distribute',
      args: ['engage-player', '<mediapackage/>'],
      creator: 'admin',
      organization: 'mh_default_org',
      payload: null,
    });
  });

  it('refuses what is not a job in the job namespace', () => {
    expect(() => parseRegistryJob('<job id="1"/>')).toThrow('job.opencastproject.org');
  });
});

describe(applyJobUpdate.name, () => {
  it('changes status, processing host and payload, in the job namespace, and keeps everything else', () => {
    const updated = applyJobUpdate(JOB_XML, {
      status: 'FINISHED',
      processingHost: 'http://media:3000',
      payload: '<a/>###<b/>',
    });
    expect(parseRegistryJob(updated)).toEqual({ ...job(), status: 'FINISHED', payload: '<a/>###<b/>' });
    expect(updated).toContain('<ns3:futureField>kept</ns3:futureField>');
    expect(updated).toContain('version="3"');
    expect(updated).toContain('<ns3:processingHost>http://media:3000</ns3:processingHost>');
  });
});

describe(registryUpdateFor.name, () => {
  const host = 'http://media:3000';

  it('reports nothing while queued here, or when the registry has the status already', () => {
    expect(registryUpdateFor(job(), { status: 'QUEUED', payload: null }, host)).toBeNull();
    expect(registryUpdateFor(job({ status: 'RUNNING' }), { status: 'RUNNING', payload: null }, host)).toBeNull();
    expect(
      registryUpdateFor(job({ status: 'FINISHED', payload: 'x' }), { status: 'FINISHED', payload: 'x' }, host),
    ).toBeNull();
  });

  it('reports RUNNING, FAILED, and FINISHED with the payload', () => {
    expect(registryUpdateFor(job(), { status: 'RUNNING', payload: null }, host)).toEqual({
      status: 'RUNNING',
      processingHost: host,
    });
    expect(registryUpdateFor(job(), { status: 'FAILED', payload: null }, host)).toEqual({
      status: 'FAILED',
      processingHost: host,
    });
    expect(registryUpdateFor(job({ status: 'RUNNING' }), { status: 'FINISHED', payload: '' }, host)).toEqual({
      status: 'FINISHED',
      processingHost: host,
      payload: '',
    });
  });

  it('lets a result replace a failure the registry assumed, but never puts a final job back to RUNNING', () => {
    expect(registryUpdateFor(job({ status: 'FAILED' }), { status: 'FINISHED', payload: 'x' }, host)?.status).toBe(
      'FINISHED',
    );
    expect(registryUpdateFor(job({ status: 'FINISHED' }), { status: 'RUNNING', payload: null }, host)).toBeNull();
    expect(registryUpdateFor(job({ status: 'FAILED' }), { status: 'RUNNING', payload: null }, host)).toBeNull();
  });
});

describe(isCurrentRegistration.name, () => {
  const services = (fields: string) =>
    `<services xmlns="http://serviceregistry.opencastproject.org"><service><type>t</type>${fields}</service></services>`;

  it('keeps an online job-producer registration at the same path', () => {
    const registration = parseServiceRegistration(
      services('<path>/distribution/download</path><online>true</online><jobproducer>true</jobproducer>'),
    );
    expect(isCurrentRegistration(registration, '/distribution/download')).toBe(true);
  });

  it('registers again when offline, elsewhere, not a job producer, or absent', () => {
    for (const fields of [
      '<path>/distribution/download</path><online>false</online><jobproducer>true</jobproducer>',
      '<path>/other</path><online>true</online><jobproducer>true</jobproducer>',
      '<path>/distribution/download</path><online>true</online><jobproducer>false</jobproducer>',
    ])
      expect(isCurrentRegistration(parseServiceRegistration(services(fields)), '/distribution/download')).toBe(false);
    expect(
      isCurrentRegistration(parseServiceRegistration(services('').replace(/<service>.*<\/service>/, '')), '/x'),
    ).toBe(false);
    expect(isCurrentRegistration(null, '/distribution/download')).toBe(false);
  });

  it('reads unqualified children as absent, as JAXB does', () => {
    const unqualified =
      '<ns:services xmlns:ns="http://serviceregistry.opencastproject.org"><ns:service><path>/distribution/download</path><online>true</online><jobproducer>true</jobproducer></ns:service></ns:services>';
    expect(isCurrentRegistration(parseServiceRegistration(unqualified), '/distribution/download')).toBe(false);
  });
});
