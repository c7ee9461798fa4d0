/** An option of a campaign that is out of range; `option` is its name in CampaignOptions. */
export class ProberOptionError extends Error {
  override readonly name = "ProberOptionError";
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
  }
}

/** An expected split that cannot be read: a bad weight list, manifest or label map. */
export class ExpectationError extends Error {
  override readonly name = "ExpectationError";
}
