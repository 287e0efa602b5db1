/** The chapters of Understanding Distributed Systems, 2nd edition (Roberto Vitillo, 2022). */

export const PARTS = ['Communication', 'Coordination', 'Scalability', 'Resiliency', 'Maintainability'] as const;
export type Part = (typeof PARTS)[number];

export interface Chapter {
  number: number;
  title: string;
  /** undefined for the introduction and the final words, which belong to no part. */
  part: Part | undefined;
}

const TITLES: ReadonlyArray<[number, string, Part | undefined]> = [
  [1, 'Introduction', undefined],
  [2, 'Reliable links', 'Communication'],
  [3, 'Secure links', 'Communication'],
  [4, 'Discovery', 'Communication'],
  [5, 'APIs', 'Communication'],
  [6, 'System models', 'Coordination'],
  [7, 'Failure detection', 'Coordination'],
  [8, 'Time', 'Coordination'],
  [9, 'Leader election', 'Coordination'],
  [10, 'Replication', 'Coordination'],
  [11, 'Coordination avoidance', 'Coordination'],
  [12, 'Transactions', 'Coordination'],
  [13, 'Asynchronous transactions', 'Coordination'],
  [14, 'HTTP caching', 'Scalability'],
  [15, 'Content delivery networks', 'Scalability'],
  [16, 'Partitioning', 'Scalability'],
  [17, 'File storage', 'Scalability'],
  [18, 'Network load balancing', 'Scalability'],
  [19, 'Data storage', 'Scalability'],
  [20, 'Caching', 'Scalability'],
  [21, 'Microservices', 'Scalability'],
  [22, 'Control planes and data planes', 'Scalability'],
  [23, 'Messaging', 'Scalability'],
  [24, 'Common failure causes', 'Resiliency'],
  [25, 'Redundancy', 'Resiliency'],
  [26, 'Fault isolation', 'Resiliency'],
  [27, 'Downstream resiliency', 'Resiliency'],
  [28, 'Upstream resiliency', 'Resiliency'],
  [29, 'Testing', 'Maintainability'],
  [30, 'Continuous delivery and deployment', 'Maintainability'],
  [31, 'Monitoring', 'Maintainability'],
  [32, 'Observability', 'Maintainability'],
  [33, 'Manageability', 'Maintainability'],
  [34, 'Final words', undefined],
];

export const CHAPTERS: ReadonlyMap<number, Chapter> = new Map(
  TITLES.map(([number, title, part]) => [number, { number, title, part }]),
);

/** A folder name for a chapter, e.g. "27-downstream-resiliency": sorts in book order. */
export function chapterSlug(chapter: Chapter): string {
  const words = chapter.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `${String(chapter.number).padStart(2, '0')}-${words}`;
}
