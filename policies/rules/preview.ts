import { UnknownValueError } from "@pulumi/policy";

/**
 * Reading values the engine does not know yet. At preview, @pulumi/policy's
 * `unknownCheckingProxy` throws UnknownValueError on such a read; a rule judges what is known
 * and leaves the rest for the update, instead of losing itself to one unknown value.
 */

/** @pulumi/policy's "can't be known during preview" (compared by name too: a pack may load a second copy of the library). */
export function isUnknownValueError(error: unknown): boolean {
    return error instanceof UnknownValueError || (error instanceof Error && error.constructor.name === "UnknownValueError");
}

/** The value `check` computes, or `fallback` when it reads a value not known at preview. */
export function whenKnown<T>(check: () => T, fallback: T): T {
    try {
        return check();
    } catch (error) {
        if (isUnknownValueError(error)) return fallback;
        throw error;
    }
}
