/** The children of Opencast's `<job>` document, in the order its JAXB class (JaxbJob) writes them. */
export const OPENCAST_JOB_CHILDREN = [
  'creator',
  'organization',
  'url',
  'operation',
  'args',
  'createdHost',
  'processingHost',
  'dateCreated',
  'dateStarted',
  'dateCompleted',
  'queueTime',
  'runTime',
  'payload',
  'dispatchable',
  'jobLoad',
];
