/** One clip of the task, in the original workflow engine's format. */
export interface DownloadTaskClip {
  source: string;
  start?: string;
  end?: string;
  filter?: string;
}

/** The `vodcapture-mp4` task that `downloadTaskJson` holds: the seed's shape, key for key. */
export interface DownloadTask {
  parameters: {
    content_id: string;
    output_folder: string;
    clips: DownloadTaskClip[];
    rest_endpoints: string[];
    encrypted: false;
    frame_accurate: boolean;
    create_mp4: false;
    copy_ts: true;
    create_via_ffmpeg: true;
  };
  client: string;
  job: { workflow: 'vodcapture-mp4' };
}

export interface DownloadTaskInput {
  contentId: string;
  clips: { source: string; start?: string | null; end?: string | null; filter?: string | null }[];
  frameAccurate: boolean;
  client: string;
  restEndpoints?: string[];
}

export function buildDownloadTask(input: DownloadTaskInput): DownloadTask {
  return {
    parameters: {
      content_id: input.contentId,
      output_folder: `downloads/${input.contentId}`,
      clips: input.clips.map(({ source, start, end, filter }) => ({
        source,
        ...(start != null && { start }),
        ...(end != null && { end }),
        ...(filter != null && filter !== '' && { filter }),
      })),
      rest_endpoints: input.restEndpoints ?? [],
      encrypted: false,
      frame_accurate: input.frameAccurate,
      create_mp4: false,
      copy_ts: true,
      create_via_ffmpeg: true,
    },
    client: input.client,
    job: { workflow: 'vodcapture-mp4' },
  };
}
