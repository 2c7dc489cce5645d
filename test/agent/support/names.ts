// Node nur1 of licence 1234 in the test zone example.test: the names the manager's default
// template gives it, which the agent and probe tests enrol and expect.
export const names = { external: 'nur1.pl-1234.example.test', internal: 'i-nur1.pl-1234.example.test' };
