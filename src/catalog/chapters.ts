/** The chapters of Understanding Distributed Systems, 2nd edition (Roberto Vitillo, 2022). */

export const PARTS = ['Communication', 'Coordination', 'Scalability', 'Resiliency', 'Maintainability'] as const;
export type Part = (typeof PARTS)[number];

export interface Chapter {
  number: number;
  title: string;
  /** undefined for the introduction and the final words, which belong to no part. */
  part: Part | undefined;
  /** The chapter's headings, as its contents page has them; empty for a chapter with no sections. */
  sections: readonly Section[];
}

/** A heading: a numbered section or sub-section, or an unnumbered sub-heading the book prints. */
export interface Section {
  title: string;
  subsections: readonly Section[];
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

/** A heading with sub-headings; a bare string is a heading without any. */
const h = (title: string, ...subsections: Array<string | Section>): Section => ({
  title,
  subsections: subsections.map((sub) => (typeof sub === 'string' ? h(sub) : sub)),
});

/** Each chapter's headings, exactly as written (sentence case); chapters 4, 6, 7, 33 and 34 have none. */
const SECTIONS: Readonly<Record<number, ReadonlyArray<string | Section>>> = {
  1: ['Communication', 'Coordination', 'Scalability', 'Resiliency', 'Maintainability', 'Anatomy of a distributed system'],
  2: ['Reliability', 'Connection lifecycle', 'Flow control', 'Congestion control', 'Custom protocols'],
  3: ['Encryption', 'Authentication', 'Integrity', 'Handshake'],
  5: ['HTTP', 'Resources', 'Request methods', 'Response status codes', 'OpenAPI', 'Evolution', 'Idempotency'],
  8: ['Physical clocks', 'Logical clocks', 'Vector clocks'],
  9: ['Raft leader election', 'Practical considerations'],
  10: ['State machine replication', 'Consensus',
    h('Consistency models', 'Strong consistency', 'Sequential consistency', 'Eventual consistency', 'The CAP theorem'),
    'Chain replication'],
  11: ['Broadcast protocols', 'Conflict-free replicated data types', 'Dynamo-style data stores', 'The CALM theorem',
    'Causal consistency', 'Practical considerations'],
  12: ['ACID', h('Isolation', 'Concurrency control'), h('Atomicity', 'Two-phase commit'), 'NewSQL'],
  13: ['Outbox pattern', 'Sagas', 'Isolation'],
  14: ['Reverse proxies'],
  15: ['Overlay network', 'Caching'],
  16: ['Range partitioning', 'Hash partitioning'],
  17: ['Blob storage architecture'],
  // The introduction's unnumbered sub-headings come first, then the numbered sections.
  18: ['Load balancing', 'Service discovery', 'Health checks',
    'DNS load balancing', 'Transport layer load balancing', 'Application layer load balancing'],
  19: ['Replication', 'Partitioning', 'NoSQL'],
  20: ['Policies', 'Local cache', 'External cache'],
  21: [h('Caveats', 'Tech stack', 'Communication', 'Coupling', 'Resource provisioning', 'Testing', 'Operations', 'Eventual consistency'),
    h('API gateway', h('Core responsibilities', 'Routing', 'Composition', 'Translation'), 'Cross-cutting concerns', 'Caveats')],
  22: ['Scale imbalance', 'Control theory'],
  23: ['One-way messaging', 'Request-response messaging', 'Broadcast messaging',
    'Guarantees', 'Exactly-once processing', 'Failures', 'Backlogs', 'Fault isolation'],
  24: ['Hardware faults', 'Incorrect error handling', 'Configuration changes', 'Single points of failure', 'Network faults',
    'Resource leaks', 'Load pressure', 'Cascading failures', 'Managing risk'],
  25: ['Correlation'],
  // The chapter's introduction presents the bulkhead pattern before its first section.
  26: ['Shuffle sharding', 'Cellular architecture'],
  27: ['Timeout', h('Retry', 'Exponential backoff', 'Retry amplification'), 'Circuit breaker'],
  28: ['Load shedding', 'Load leveling', h('Rate-limiting', 'Single-process implementation', 'Distributed implementation'), 'Constant work'],
  29: ['Scope', 'Size', 'Practical considerations', 'Formal verification'],
  30: ['Review and build', 'Pre-production', 'Production', 'Rollbacks'],
  31: ['Metrics', 'Service-level indicators', 'Service-level objectives', 'Alerts', h('Dashboards', 'Best practices'), 'Being on call'],
  32: [h('Logs', 'Best practices', 'Costs'), 'Traces', 'Putting it all together'],
};

export const CHAPTERS: ReadonlyMap<number, Chapter> = new Map(
  TITLES.map(([number, title, part]) => [number, { number, title, part, sections: h('', ...(SECTIONS[number] ?? [])).subsections }]),
);

/**
 * Every way to cite a heading of the chapter: a section by its title ("Retry"), a sub-section as
 * "Section: sub-section" ("Retry: Exponential backoff"), deeper ones likewise.
 */
export function citableSections(chapter: Chapter): string[] {
  const out: string[] = [];
  const walk = (sections: readonly Section[], prefix: string) => {
    for (const s of sections) {
      const name = prefix + s.title;
      out.push(name);
      walk(s.subsections, `${name}: `);
    }
  };
  walk(chapter.sections, '');
  return out;
}

/** A folder name for a chapter, e.g. "27-downstream-resiliency": sorts in book order. */
export function chapterSlug(chapter: Chapter): string {
  const words = chapter.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `${String(chapter.number).padStart(2, '0')}-${words}`;
}
