// An environment's name with its region, without saying the region twice when the name has it.

export function EnvironmentName({ env }: { env: { name: string; region: string } }) {
  const named = env.name.toLowerCase().includes(env.region.toLowerCase());
  return (
    <span className="env">
      {env.name}
      {!named && (
        <>
          {' '}
          <span className="muted mono">{env.region}</span>
        </>
      )}
    </span>
  );
}
