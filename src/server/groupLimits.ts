/** The limits of group conversations and their defaults (the CLI's option table and the docs take them from here). */

export interface GroupLimits {
  /** Most members one group may have; past it a JoinGroup is GROUP_FULL. */
  maxMembers: number;
  /** Most groups one account may be a member of; past it a CreateGroup or JoinGroup is TOO_MANY_GROUPS. */
  maxGroupsPerAccount: number;
  /** How often a sender is pushed the delivery counts of its group messages that changed (GroupDelivered). */
  receiptMs: number;
}

export const GROUP_DEFAULTS: GroupLimits = {
  maxMembers: 256,
  maxGroupsPerAccount: 100,
  receiptMs: 1000,
};

/** The limits with the defaults filled in. */
export function resolveGroupLimits(opts: Partial<GroupLimits> = {}): GroupLimits {
  return {
    maxMembers: opts.maxMembers ?? GROUP_DEFAULTS.maxMembers,
    maxGroupsPerAccount: opts.maxGroupsPerAccount ?? GROUP_DEFAULTS.maxGroupsPerAccount,
    receiptMs: opts.receiptMs ?? GROUP_DEFAULTS.receiptMs,
  };
}
