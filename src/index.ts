// Entry point loaded by the Functions worker (package.json "main"). Registrations live in src/functions/.
export {};
