/**
 * What the controller remembers between reconciles of one instance, keyed by uid: a recreated
 * instance of the same name is a different object and must start with nothing remembered, and
 * everything goes when the object does. All of it is an optimisation or a safety margin; the
 * store's status stays the truth after a restart.
 */
export class ControllerMemory {
  private readonly uidByKey = new Map<string, string>();
  /** Provision jobs we asked AAP to cancel, by uid (to ask and record the event once). */
  private readonly cancels = new Map<string, Set<string>>();
  /** Launch ids whose outcome is unknown, by uid: when this controller learnt of it. */
  private readonly unknown = new Map<string, Map<string, number>>();
  /** After a refused launch, no new attempt of that type before this time, by uid. */
  private readonly notBefore = new Map<string, Map<string, number>>();
  /** AAP could not be asked for this instance: since when, the latest reason, when last seen. */
  private readonly trouble = new Map<
    string,
    { sinceMs: number; message: string; atMs: number }
  >();
  /** The deletion-retry annotation value already acted on, by uid. */
  private readonly retries = new Map<string, string>();
  private readonly listeners: Array<(uid: string) => void> = [];

  /** Called with every instance the controller looks at; forgets an older object of the same name. */
  observe(key: string, uid: string): void {
    const previous = this.uidByKey.get(key);
    if (previous && previous !== uid) this.forgetUid(previous);
    this.uidByKey.set(key, uid);
  }

  /** The object of this key is gone. */
  forgetKey(key: string): void {
    const uid = this.uidByKey.get(key);
    this.uidByKey.delete(key);
    if (uid) this.forgetUid(uid);
  }

  /** Other holders of per-instance memory (the status writer) forget with us. */
  onForget(listener: (uid: string) => void): void {
    this.listeners.push(listener);
  }

  cancelRequested(uid: string, jobID: string): boolean {
    return this.cancels.get(uid)?.has(jobID) ?? false;
  }

  rememberCancel(uid: string, jobID: string): void {
    const set = this.cancels.get(uid) ?? new Set<string>();
    set.add(jobID);
    this.cancels.set(uid, set);
  }

  forgetCancel(uid: string, jobID: string): void {
    this.cancels.get(uid)?.delete(jobID);
  }

  /** "Retry now": every accepted cancel is read live and asked again if the job still runs. */
  forgetCancels(uid: string): void {
    this.cancels.delete(uid);
  }

  unknownSince(uid: string, launchID: string): number | undefined {
    return this.unknown.get(uid)?.get(launchID);
  }

  rememberUnknown(uid: string, launchID: string, sinceMs: number): void {
    const map = this.unknown.get(uid) ?? new Map<string, number>();
    map.set(launchID, sinceMs);
    this.unknown.set(uid, map);
  }

  forgetUnknown(uid: string, launchID: string): void {
    this.unknown.get(uid)?.delete(launchID);
  }

  launchNotBefore(uid: string, type: string): number {
    return this.notBefore.get(uid)?.get(type) ?? 0;
  }

  holdLaunches(uid: string, type: string, untilMs: number): void {
    const map = this.notBefore.get(uid) ?? new Map<string, number>();
    map.set(type, untilMs);
    this.notBefore.set(uid, map);
  }

  releaseLaunches(uid: string, type: string): void {
    this.notBefore.get(uid)?.delete(type);
  }

  noteAapTrouble(uid: string, message: string, nowMs: number): void {
    const sinceMs = this.trouble.get(uid)?.sinceMs ?? nowMs;
    this.trouble.set(uid, { sinceMs, message, atMs: nowMs });
  }

  /** AAP trouble noted at or after `sinceMs` (this pass); older trouble is over and forgotten. */
  aapTroubleSince(
    uid: string,
    passStartMs: number,
  ): { sinceMs: number; message: string } | undefined {
    const t = this.trouble.get(uid);
    if (!t) return undefined;
    if (t.atMs < passStartMs) {
      this.trouble.delete(uid);
      return undefined;
    }
    return { sinceMs: t.sinceMs, message: t.message };
  }

  /** True once per new value of the deletion-retry annotation. */
  takeRetryRequest(uid: string, value: string): boolean {
    if (this.retries.get(uid) === value) return false;
    this.retries.set(uid, value);
    return true;
  }

  /** Number of instances with anything remembered (for leak tests). */
  get size(): number {
    const uids = new Set([
      ...this.cancels.keys(),
      ...this.unknown.keys(),
      ...this.notBefore.keys(),
      ...this.trouble.keys(),
      ...this.retries.keys(),
    ]);
    return uids.size;
  }

  private forgetUid(uid: string): void {
    this.cancels.delete(uid);
    this.unknown.delete(uid);
    this.notBefore.delete(uid);
    this.trouble.delete(uid);
    this.retries.delete(uid);
    for (const listener of this.listeners) listener(uid);
  }
}
