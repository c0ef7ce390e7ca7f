/**
 * The sections of a project, in the order its navigation lists them. A section that is `ready`
 * has a page of its own (the dashboard in the section template, the others in their own router);
 * the rest show what they will hold.
 */
export const PROJECT_SECTIONS = [
  { slug: 'dashboard', title: 'Dashboard', ready: true, later: '' },
  { slug: 'connections', title: 'Connections', ready: true, later: '' },
  { slug: 'etl', title: 'ETL', ready: false, later: 'ETL jobs that extract and load your data arrive with the ETL engine.' },
  { slug: 'datasets', title: 'Datasets', ready: false, later: 'Datasets built from warehouse tables arrive after ETL.' },
  { slug: 'features', title: 'Features', ready: false, later: 'Feature configurations for the buyer and product towers arrive with the model work.' },
  { slug: 'models', title: 'Models', ready: false, later: 'Model configurations arrive with the model work.' },
  { slug: 'experiments', title: 'Experiments', ready: false, later: 'Quick tests and their metrics arrive with the trainer.' },
] as const;

export type ProjectSection = (typeof PROJECT_SECTIONS)[number];

/** The project navigation with `current` set on one section, for the `project-nav` partial. */
export function projectNav(current: ProjectSection['slug']) {
  return PROJECT_SECTIONS.map((s) => ({ ...s, current: s.slug === current }));
}
