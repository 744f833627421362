/** The problems a check found, for the report: the first few in words, the rest counted. */

const MAX_EXAMPLES = 5;

/**
 * The first few problems in words, and how many more there were (a count, not a silent cut);
 * and, as data, the player of the first problem that is about one, so that nobody has to read
 * the player back out of the words (the `trace it:` hint names it).
 */
export class ProblemList {
  private readonly first: string[] = [];
  private more = 0;
  private firstPlayer: string | undefined;

  /** `playerId`: the player the problem is about, when it is one of the scenario's (one a trace can follow). */
  note(text: string, playerId?: string): void {
    if (this.first.length < MAX_EXAMPLES) this.first.push(text);
    else this.more++;
    this.firstPlayer ??= playerId;
  }

  /** The player of the first problem about one, counted ones too; undefined when none is (money not conserved alone). */
  get firstPlayerId(): string | undefined {
    return this.firstPlayer;
  }

  list(): string[] {
    return this.more === 0 ? [...this.first] : [...this.first, `… and ${this.more.toLocaleString('en-US')} more`];
  }
}
