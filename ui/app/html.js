// Components are Preact with htm templates (tagged template literals, no build step): one
// vendored module, `html` for markup and the hooks the pages use.
export {
  html,
  render,
  h,
  Component,
  createContext,
  useState,
  useReducer,
  useEffect,
  useLayoutEffect,
  useRef,
  useMemo,
  useCallback,
  useContext,
} from '../vendor/htm/preact-standalone.module.js';
