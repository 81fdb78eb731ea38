/** What node components read besides their own data: catalogue, issues, run status. */
import { createContext, useContext } from 'react';
import type { NodeRunStatus, NodeTypeSpec } from '../api/types';
import { EMPTY_ISSUES, type IssueIndex } from '../model/errors';

export interface EditorContextValue {
  specs: Map<string, NodeTypeSpec>;
  errorHandle: string;
  issues: IssueIndex;
  runStatus: Map<string, NodeRunStatus>;
  readOnly: boolean;
  /** The for-each group a dragged node would land in (highlighted). */
  dropTarget?: string | null;
  /** Called when a group's resize starts (an undo snapshot). */
  onResizeStart?: () => void;
}

export const EditorContext = createContext<EditorContextValue>({
  specs: new Map(),
  errorHandle: 'error',
  issues: EMPTY_ISSUES,
  runStatus: new Map(),
  readOnly: true,
});

export const useEditorContext = () => useContext(EditorContext);
