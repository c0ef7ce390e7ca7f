import { z } from 'zod';

/**
 * A Google Cloud project id: 6 to 30 lowercase letters, digits and hyphens, starting with a letter;
 * older projects may carry a domain (`example.com:my-project`).
 */
export const GCP_PROJECT_ID = /^(?:[a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** A project id setting, with the message a person needs when they paste the display name instead. */
export const gcpProjectId = z.string().trim().regex(GCP_PROJECT_ID, 'A project id is 6 to 30 lowercase letters, digits and hyphens, starting with a letter (the id, not the display name)');
