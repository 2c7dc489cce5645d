// The canary names the manager publishes and the probe asks, relative to the zone apex: fixed
// answers that tell "this resolver filters private answers" from "this node is not published".
export const CANARIES = { private: 'private.canary', ula: 'ula.canary', public: 'public.canary' } as const;
