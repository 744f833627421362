/** A source of randomness. The virtual world derives every stream from the run's one seed. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** A child stream whose draws are independent of this one's; same name, same stream. */
  derive(name: string): Random;
}
