/** Where each alert's runbook lives: docs/runbooks/<AlertName>.md in this repository. */
export const RUNBOOKS = 'https://github.com/immoflowme/immo-toolkit/blob/main/docs/runbooks';
