// The name rule lives in core (one rule for credentials, sources and destinations); the store re-exports it for the
// modules that import it from here.
export {
  DESCRIPTION_MAX,
  NAME_MAX,
  type NamedThing,
  nameKey,
  normalizeName,
  validateDescription,
  validateName,
} from '../core/names.js';
