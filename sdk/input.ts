import type * as pulumi from "@pulumi/pulumi";

/** A zod-derived argument type in which every value may be a Pulumi Input (an Output, a Promise or a plain value). */
export type DeepInput<T> = T extends string | number | boolean | undefined | null
    ? pulumi.Input<T>
    : T extends readonly (infer U)[]
      ? pulumi.Input<DeepInput<U>[]>
      : T extends object
        ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>
        : pulumi.Input<T>;

/** Like DeepInput but the top level stays a plain object, as resource args are. */
export type ArgsOf<T> = { [K in keyof T]: DeepInput<T[K]> };
