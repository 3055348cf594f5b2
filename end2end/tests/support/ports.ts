/** The fake Mixpanel export host's port: the servers get it as VERDICT_MIXPANEL_BASE_URL. */
export const FAKE_MIXPANEL_PORT = 3199;
